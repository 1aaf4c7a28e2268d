/**
 * The most recent output of a session, kept so a client that lost bytes in
 * flight can resume from its last offset (session-extension.md). Chunks are
 * kept whole; the oldest are dropped once more than `capacityBytes` is held.
 */
export class ReplayBuffer {
  private readonly chunks: Buffer[] = [];
  private held = 0;
  /** Output offset of the first byte still held. */
  private startOffset = 0;

  constructor(private readonly capacityBytes: number) {}

  /** Offset of the oldest byte still held. */
  get firstOffset(): number {
    return this.startOffset;
  }

  /** Offset just past the last byte appended. */
  get endOffset(): number {
    return this.startOffset + this.held;
  }

  append(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.held += chunk.length;
    while (this.held - this.chunks[0]!.length >= this.capacityBytes) {
      const dropped = this.chunks.shift()!;
      this.held -= dropped.length;
      this.startOffset += dropped.length;
    }
  }

  /** Everything from `offset` on, or null when those bytes are no longer held. */
  since(offset: number): Buffer | null {
    if (offset < this.startOffset || offset > this.endOffset) return null;
    const all = Buffer.concat(this.chunks, this.held);
    return all.subarray(offset - this.startOffset);
  }
}
