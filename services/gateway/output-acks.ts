/**
 * What one socket reports to the worker as taken of the session's output
 * (session-extension.md rule 5). Clients that send `session:ack` report what
 * they have rendered, and those acknowledgements are passed on. For clients
 * that never do (a stock WebSSH2 page), output counts as taken once the
 * WebSocket has written it to the OS (the transport's `drain`): a client that
 * stops reading stops the drains, and the worker's window stops the SSH
 * channel.
 *
 * Acknowledgements go out in steps well below the low-water mark, so a
 * paused channel always sees enough acknowledged to resume.
 */
export interface DrainingTransport {
  once(event: 'drain', listener: () => void): unknown;
}

export class OutputAcks {
  /** Output bytes emitted on this socket: session-extension.md's output offset. */
  offset = 0;
  private acked = 0;
  private clientAcks = false;
  private awaitingDrain = false;
  private readonly stepBytes: number;

  constructor(
    lowWaterBytes: number,
    private readonly transport: () => DrainingTransport,
    private readonly send: (offset: number) => void,
  ) {
    this.stepBytes = Math.min(64 * 1024, Math.floor(lowWaterBytes / 4));
  }

  /** A new stream position (a login starts at 0, a resume at its offset). */
  restart(offset: number): void {
    this.offset = offset;
    this.acked = offset;
  }

  emitted(bytes: number): void {
    this.offset += bytes;
    if (!this.clientAcks) this.ackWhenFlushed();
  }

  /** The client's own acknowledgement; false when it claims bytes it was never sent. */
  fromClient(offset: number): boolean {
    this.clientAcks = true;
    if (offset > this.offset) return false;
    if (offset - this.acked >= this.stepBytes || (offset === this.offset && offset > this.acked)) this.report(offset);
    return true;
  }

  private ackWhenFlushed(): void {
    if (this.awaitingDrain || this.offset - this.acked < this.stepBytes) return;
    this.awaitingDrain = true;
    const offset = this.offset;
    this.transport().once('drain', () => {
      this.awaitingDrain = false;
      if (this.clientAcks) return;
      this.report(offset);
      this.ackWhenFlushed();
    });
  }

  private report(offset: number): void {
    if (offset <= this.acked) return;
    this.acked = offset;
    this.send(offset);
  }
}
