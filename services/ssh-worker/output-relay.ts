/**
 * Shell output on its way from the SSH channel to the gateway: coalesced,
 * numbered with byte offsets, kept for replay, and flow-controlled.
 *
 * Coalescing adds no delay when the line is quiet: the first chunk is sent at
 * the end of the current event-loop turn, so a keystroke's echo goes at once.
 * While a send is in flight, further output accumulates and goes as one
 * larger entry when it completes. During bulk output (the last entry was
 * large and recent) output also waits BULK_BATCH_MS, so entries stay large
 * even when Redis answers fast: the cost per entry is fixed, the cost per
 * byte is not.
 *
 * Flow control (session-extension.md rule 5): when more than `highWaterBytes`
 * are unacknowledged the SSH channel is paused, which stops SSH window
 * adjustments, so the remote program blocks on its writes; reading resumes
 * below `lowWaterBytes`.
 */
import { ReplayBuffer } from './replay-buffer.js';

/** An entry at least this large, sent this recently, means bulk output is streaming. */
const BULK_ENTRY_BYTES = 8 * 1024;
const BULK_GAP_MS = 5;
const BULK_BATCH_MS = 2;

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
  private lastEntryBytes = 0;
  private lastEntryAt = 0;
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
      const bulk = this.lastEntryBytes >= BULK_ENTRY_BYTES && performance.now() - this.lastEntryAt < BULK_GAP_MS;
      if (bulk) setTimeout(this.queuedFlush, BULK_BATCH_MS);
      else setImmediate(this.queuedFlush);
    }
    this.applyWindow();
  }

  private readonly queuedFlush = (): void => {
    this.flushQueued = false;
    if (this.inFlight === 0) this.flush();
  };

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
    this.lastEntryBytes = data.length;
    this.lastEntryAt = performance.now();
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
