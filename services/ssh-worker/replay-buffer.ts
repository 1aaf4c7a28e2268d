/**
 * The most recent output of a session, kept so a client that lost bytes in
 * flight can resume from its last offset (session-extension.md). Chunks are
 * kept whole; the oldest are dropped once more than `capacityBytes` is held.
 */
export class ReplayBuffer {
  private readonly chunks: Buffer[] = [];
  private heldBytes = 0;
  /** Output offset of the first byte still held. */
  private startOffset = 0;

  constructor(private readonly capacityBytes: number) {}

  /** Offset just past the last byte appended. */
  get endOffset(): number {
    return this.startOffset + this.heldBytes;
  }

  append(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.heldBytes += chunk.length;
    while (this.heldBytes - this.chunks[0]!.length >= this.capacityBytes) {
      const dropped = this.chunks.shift()!;
      this.heldBytes -= dropped.length;
      this.startOffset += dropped.length;
    }
  }

  /** Everything from `offset` on, or null when those bytes are no longer held. */
  since(offset: number): Buffer | null {
    if (offset < this.startOffset || offset > this.endOffset) return null;
    const all = Buffer.concat(this.chunks, this.heldBytes);
    return all.subarray(offset - this.startOffset);
  }
}
