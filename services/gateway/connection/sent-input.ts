/**
 * Input this gateway sent to the worker that the worker has not yet shown
 * it received: kept so that input Redis lost in a failover can be sent
 * again from the offset the worker names (`input-sync`, or `attached` after
 * a re-attach), and each byte reaches the SSH channel once.
 *
 * The worker shows receipt with every output message (its `inputOffset`:
 * a keystroke's echo frees it), every `input-ack` (what the SSH channel
 * took, which it first received) and every `input-sync`. What is kept is at
 * most the input window (input-window.ts): the gateway accepts no input
 * beyond what the worker has acknowledged plus the window. Keystrokes are
 * kept as copies of their own, not as slices of Node's shared 8 KiB pool,
 * which a kept one-byte slice would keep alive whole.
 */
export class SentInput {
  /** The input offset of the first byte kept. */
  private start = 0;
  private chunks: Buffer[] = [];
  private bytes = 0;

  /** The input offset after the last byte sent. */
  get end(): number {
    return this.start + this.bytes;
  }

  /** Bytes kept. */
  get kept(): number {
    return this.bytes;
  }

  /** A new session (0), or a resumed one (what its worker has received): nothing is kept. */
  restart(offset: number): void {
    this.start = offset;
    this.chunks = [];
    this.bytes = 0;
  }

  /** Input sent now, starting at `end`. */
  sent(data: Buffer): void {
    const own = data.byteLength === data.buffer.byteLength ? data : Buffer.from(new Uint8Array(data).buffer);
    this.chunks.push(own);
    this.bytes += data.length;
  }

  /** The worker has received everything before `offset`: that need not be kept. */
  received(offset: number): void {
    let drop = Math.min(offset, this.end) - this.start;
    while (drop > 0 && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      if (first.length <= drop) {
        this.chunks.shift();
        this.start += first.length;
        this.bytes -= first.length;
        drop -= first.length;
      } else {
        this.chunks[0] = first.subarray(drop);
        this.start += drop;
        this.bytes -= drop;
        drop = 0;
      }
    }
  }

  /** What was sent from `offset` on (the worker has everything before it), or undefined when nothing is missing. */
  since(offset: number): Buffer | undefined {
    this.received(offset);
    if (offset >= this.end || offset < this.start) return undefined;
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
  }
}
