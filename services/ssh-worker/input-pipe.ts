/**
 * A session's input on its way into the SSH channel, in order and bounded.
 *
 * Input may arrive before the shell exists (a client that types as soon as it
 * has logged in, before `terminal` has opened the shell): it waits here and
 * goes in first once the channel is attached. Once in the channel, ssh2 holds
 * what the remote side's SSH window cannot take yet; a write's callback fires
 * when its bytes are inside that window. Those callbacks are the measure of
 * what the remote side has *taken*, and it is reported back to the gateway
 * (`input-ack`), whose input window stops accepting input from the client
 * when too much is untaken (see services/gateway/connection/input-window.ts).
 *
 * Reports go out in steps, not per write, so typing costs no extra message:
 * only a backlog that grows to a step, and its clearing, is reported.
 */
export interface InputChannel {
  write(data: Buffer, done: () => void): void;
}

export interface InputPipeOptions {
  /** Report progress at least every this many bytes taken. */
  reportStepBytes: number;
  /** Input held here and in the channel beyond which more is dropped (a gateway that ignores its window). */
  maxBacklogBytes: number;
}

export class InputPipe {
  /** Input bytes accepted: the session's input offset. */
  received = 0;
  /** Input bytes the remote side's SSH window has taken. */
  taken = 0;
  private reported = 0;
  /** Bytes written that are not session input (replayed credentials), and how many of them were taken. */
  private injected = 0;
  private injectedTaken = 0;
  /** A backlog of a report step or more built up since the last report: its clearing is news. */
  private backlogged = false;
  private channel: InputChannel | undefined;
  private early: Buffer[] = [];

  constructor(
    private readonly options: InputPipeOptions,
    private readonly report: (takenOffset: number) => void,
  ) {}

  /** Bytes accepted but not yet taken by the remote side. */
  get backlog(): number {
    return this.received - this.taken + (this.injected - this.injectedTaken);
  }

  /** Whether `bytes` more would fit under the bound (replayed credentials ask too). */
  hasRoomFor(bytes: number): boolean {
    return this.backlog + bytes <= this.options.maxBacklogBytes;
  }

  /**
   * Input that starts at byte `offset` of the session's input (undefined:
   * appended, from a gateway of an earlier release). Bytes received before
   * are skipped (`repeated`: Redis replayed a command after a failover);
   * input beyond a gap is not taken (`gap`: Redis lost what came before it,
   * and the caller asks for it again). Input over the backlog's bound is
   * dropped (`dropped`), yet counted as received and taken, so the offsets
   * of gateway and worker stay aligned and the gateway's window moves on.
   */
  offer(offset: number | undefined, data: Buffer): 'accepted' | 'repeated' | 'gap' | 'dropped' {
    const start = offset ?? this.received;
    if (start > this.received) return 'gap';
    const fresh = start < this.received ? data.subarray(this.received - start) : data;
    if (fresh.length === 0) return data.length === 0 ? 'accepted' : 'repeated';
    if (!this.hasRoomFor(fresh.length)) {
      this.received += fresh.length;
      this.taken += fresh.length;
      this.progressed();
      return 'dropped';
    }
    this.push(fresh);
    return 'accepted';
  }

  private push(data: Buffer): void {
    this.received += data.length;
    if (this.backlog >= this.options.reportStepBytes) this.backlogged = true;
    if (this.channel) this.send(data);
    else this.early.push(data);
  }

  /**
   * Writes bytes that are not session input (a replayed password) through the
   * same ordered, bounded path, outside the input offset. False when over the bound.
   */
  inject(data: Buffer): boolean {
    if (!this.hasRoomFor(data.length)) return false;
    this.injected += data.length;
    if (!this.channel) throw new Error('credentials can only be replayed into an open shell');
    this.channel.write(data, () => {
      this.injectedTaken += data.length;
    });
    return true;
  }

  /** The shell is open: what waited goes in first, in order. */
  attach(channel: InputChannel): void {
    this.channel = channel;
    const early = this.early;
    this.early = [];
    for (const data of early) this.send(data);
  }

  /** Tells the gateway where the remote side stands now. */
  private reportNow(): void {
    this.reported = this.taken;
    this.report(this.taken);
  }

  private send(data: Buffer): void {
    this.channel!.write(data, () => {
      this.taken += data.length;
      this.progressed();
    });
  }

  private progressed(): void {
    const unreported = this.taken - this.reported;
    const cleared = this.backlogged && this.taken === this.received;
    if (unreported >= this.options.reportStepBytes || (cleared && unreported > 0)) {
      if (cleared) this.backlogged = false;
      this.reportNow();
    }
  }
}
