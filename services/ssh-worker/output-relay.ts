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
  /** Resolves false when nobody is there to receive (the gateway is gone). */
  send(offset: number, data: Buffer): Promise<boolean>;
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
    private readonly onUndelivered: () => void,
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
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    const offset = this.sentOffset;
    this.pending = [];
    this.pendingBytes = 0;
    this.sentOffset += data.length;
    this.replay.append(data);
    this.inFlight++;
    this.sink.send(offset, data).then(
      (delivered) => this.settle(delivered),
      () => this.settle(false),
    );
  }

  /** Output from `offset` on, for a resume; null when it is no longer held. */
  replayFrom(offset: number): Buffer | null {
    return this.replay.since(offset);
  }

  private settle(delivered: boolean): void {
    this.inFlight--;
    if (!delivered) this.onUndelivered();
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
