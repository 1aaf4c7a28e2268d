/**
 * Shell output on its way from the SSH channel to the gateway: coalesced,
 * numbered with byte offsets, kept for replay, and flow-controlled.
 *
 * Coalescing adds no delay when the line is quiet: the first chunk is sent at
 * the end of the current event-loop turn. While a send is in flight, further
 * output accumulates and goes as one larger entry when it completes, so under
 * load entries grow instead of multiplying.
 *
 * Flow control (session-extension.md rule 5): when more than `highWaterBytes`
 * are unacknowledged the SSH channel is paused, which stops SSH window
 * adjustments, so the remote program blocks on its writes; reading resumes
 * below `lowWaterBytes`.
 */
import { ReplayBuffer } from './replay-buffer.js';

export interface OutputSink {
  /** Resolves when the output is on its way (or dealt with: kept for replay). */
  send(offset: number, data: Buffer): Promise<unknown>;
}

export interface PausableSource {
  pause(): void;
  resume(): void;
}

export interface OutputRelayOptions {
  highWaterBytes: number;
  lowWaterBytes: number;
  replayBytes: number;
  /** Above this much pending output a send goes out even if one is in flight. */
  maxEntryBytes?: number;
}

export class OutputRelay {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private sentOffset = 0;
  private ackedOffset = 0;
  private inFlight = 0;
  private flushQueued = false;
  private paused = false;
  private readonly replay: ReplayBuffer;
  private readonly maxEntryBytes: number;

  constructor(
    private readonly sink: OutputSink,
    private readonly source: PausableSource,
    private readonly options: OutputRelayOptions,
  ) {
    this.replay = new ReplayBuffer(options.replayBytes);
    this.maxEntryBytes = options.maxEntryBytes ?? 256 * 1024;
  }

  /** Bytes produced so far (the offset the next byte will have). */
  get producedOffset(): number {
    return this.sentOffset + this.pendingBytes;
  }

  push(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= this.maxEntryBytes) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        if (this.inFlight === 0) this.flush();
      });
    }
    this.applyWindow();
  }

  ack(offset: number): void {
    if (offset <= this.ackedOffset) return;
    this.ackedOffset = Math.min(offset, this.sentOffset);
    this.applyWindow();
  }

  /** Sends whatever is pending now, in flight or not (before a close). */
  flush(): void {
    if (this.pendingBytes === 0) return;
    const offset = this.sentOffset;
    this.send(offset, this.commitPending());
  }

  /** Whether output can be re-sent from `offset` (session-extension.md rule 3). */
  canResendFrom(offset: number): 'ok' | 'gone' | 'ahead' {
    if (offset > this.producedOffset) return 'ahead';
    return offset >= this.replay.firstOffset ? 'ok' : 'gone';
  }

  /**
   * A new receiver that has everything before `offset`: everything after it
   * goes out again, and the flow-control window restarts from there.
   */
  resendFrom(offset: number): void {
    this.commitPending();
    const data = this.replay.since(offset);
    if (!data) throw new Error(`output from ${offset} is no longer held`);
    this.ackedOffset = offset;
    for (let at = 0; at < data.length; at += this.maxEntryBytes) {
      this.send(offset + at, data.subarray(at, at + this.maxEntryBytes));
    }
    this.applyWindow();
  }

  /** Moves pending output into the sent stream (and the replay buffer). */
  private commitPending(): Buffer {
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.sentOffset += data.length;
    this.replay.append(data);
    return data;
  }

  private send(offset: number, data: Buffer): void {
    if (data.length === 0) return;
    this.inFlight++;
    // The sink deals with delivery failures; here a settled send only
    // frees the way for the next one.
    this.sink.send(offset, data).then(
      () => this.settle(),
      () => this.settle(),
    );
  }

  private settle(): void {
    this.inFlight--;
    if (this.inFlight === 0 && !this.flushQueued) this.flush();
  }

  private applyWindow(): void {
    const unacknowledged = this.producedOffset - this.ackedOffset;
    if (!this.paused && unacknowledged > this.options.highWaterBytes) {
      this.paused = true;
      this.source.pause();
    } else if (this.paused && unacknowledged <= this.options.lowWaterBytes) {
      this.paused = false;
      this.source.resume();
    }
  }
}
