/**
 * The most recent output of a session, kept so a client that lost bytes in
 * flight can resume from its last offset (session-extension.md).
 *
 * Output is copied into blocks of its own rather than kept as the chunks it
 * arrived in. Those chunks are slices of larger buffers (ssh2's decrypted
 * packets, Node's 8 KiB allocation pool): keeping a one-byte echo would keep
 * its whole parent alive, and a long interactive session would hold many
 * times its replay capacity. Blocks start small and grow with the output, so
 * a quiet session costs little; the oldest blocks are dropped once more than
 * `capacityBytes` is held without them.
 */
const FIRST_BLOCK_BYTES = 1024;
const MAX_BLOCK_BYTES = 64 * 1024;

interface Block {
  bytes: Buffer;
  /** How much of `bytes` is filled. */
  used: number;
}

export class ReplayBuffer {
  private readonly blocks: Block[] = [];
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
    let copied = 0;
    while (copied < chunk.length) {
      let block = this.blocks.at(-1);
      if (!block || block.used === block.bytes.length) {
        const size = Math.min(MAX_BLOCK_BYTES, Math.max(FIRST_BLOCK_BYTES, this.held, chunk.length - copied));
        block = { bytes: Buffer.allocUnsafeSlow(size), used: 0 };
        this.blocks.push(block);
      }
      const n = chunk.copy(block.bytes, block.used, copied);
      block.used += n;
      copied += n;
    }
    this.held += chunk.length;
    while (this.blocks.length > 1 && this.held - this.blocks[0]!.used >= this.capacityBytes) {
      const dropped = this.blocks.shift()!;
      this.held -= dropped.used;
      this.startOffset += dropped.used;
    }
  }

  /** Everything from `offset` on, or null when those bytes are no longer held. */
  since(offset: number): Buffer | null {
    if (offset < this.startOffset || offset > this.endOffset) return null;
    const all = Buffer.concat(
      this.blocks.map((block) => block.bytes.subarray(0, block.used)),
      this.held,
    );
    return all.subarray(offset - this.startOffset);
  }

  /** Bytes of memory the buffer holds (its blocks, filled or not). */
  get footprint(): number {
    return this.blocks.reduce((sum, block) => sum + block.bytes.length, 0);
  }
}
