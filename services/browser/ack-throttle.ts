/**
 * session:ack pacing. The page acknowledges what xterm.js has rendered (the
 * write callbacks), which is what lets the worker stop reading the SSH
 * channel when the page falls behind. One ack per callback would be a
 * message per chunk, so acks go out at most every `intervalMs`, or at once
 * when `stepBytes` more have been rendered: the server wants an ack well
 * within its low-water mark to let a paused channel go again.
 */
export class AckThrottle {
  private rendered = 0;
  private acked = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly stepBytes: number,
    /** The highest offset the server would accept now (it refuses acks for bytes it has not sent). */
    private readonly ackableUpTo: () => number,
    /** Sends the ack; false when there is no live socket to send it on. */
    private readonly send: (offset: number) => boolean,
  ) {}

  /** The terminal has rendered output up to `offset`. */
  renderedUpTo(offset: number): void {
    if (offset <= this.rendered) return;
    this.rendered = offset;
    if (this.rendered - this.acked >= this.stepBytes) this.flush();
    else this.schedule();
  }

  /** Sends what is rendered and not yet acknowledged, if a socket can take it. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const offset = Math.min(this.rendered, this.ackableUpTo());
    if (offset > this.acked) {
      // No socket: a resume re-arms the timer.
      if (!this.send(offset)) return;
      this.acked = offset;
    }
    if (this.acked < this.rendered) this.schedule();
  }

  /** A new session: nothing rendered, nothing acknowledged. */
  restart(): void {
    this.stop();
    this.acked = 0;
    this.rendered = 0;
  }

  /**
   * A resumed session: the server counts acknowledgements from `offset` on,
   * so anything below is no news to it; what is rendered beyond goes soon.
   */
  resumedAt(offset: number): void {
    this.acked = offset;
    if (this.rendered > this.acked) this.schedule();
  }

  /** No socket to acknowledge on until the next restart or resume. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }
}
