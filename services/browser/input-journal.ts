/**
 * The input side of session-extension.md: every byte the user types, in
 * order, with the input offset (UTF-8 bytes handed to a socket). Input typed
 * while no socket can take it waits here; after a resume the server says how
 * much it received, and what follows is sent again. Bytes already sent are
 * kept only up to a bound: what can be in flight when a socket dies is small.
 */
const encoder = new TextEncoder();

interface Chunk {
  offset: number;
  bytes: Uint8Array;
}

export class InputJournal {
  /** Input bytes handed to a socket: the input offset a resume names. */
  sent = 0;
  /** Input bytes typed so far. */
  private typed = 0;
  private chunks: Chunk[] = [];

  constructor(private readonly keepSentBytes: number) {}

  /** A new session: its input starts at offset 0. */
  restart(): void {
    this.sent = 0;
    this.typed = 0;
    this.chunks = [];
  }

  type(text: string): void {
    const bytes = encoder.encode(text);
    if (bytes.length === 0) return;
    this.chunks.push({ offset: this.typed, bytes });
    this.typed += bytes.length;
  }

  /**
   * The input not yet handed to a socket, as strings of at most
   * `maxChunkBytes` UTF-8 bytes each, now counted as sent.
   */
  takeUnsent(maxChunkBytes: number): string[] {
    const unsent = this.bytesBetween(this.sent, this.typed);
    this.sent = this.typed;
    this.forgetOldSentBytes();
    return splitAtCharacters(unsent, maxChunkBytes);
  }

  /**
   * The server received input up to `offset`: whatever follows must be sent
   * again. Returns how many bytes cannot be, because they were older than
   * the kept window (0 in any sane case).
   */
  rewindTo(offset: number): number {
    const oldest = this.chunks[0]?.offset ?? this.typed;
    const target = Math.min(Math.max(offset, oldest), this.typed);
    const lost = Math.max(0, Math.min(oldest, this.sent) - offset);
    this.sent = target;
    return lost;
  }

  private bytesBetween(from: number, to: number): Uint8Array {
    const result = new Uint8Array(to - from);
    for (const { offset, bytes } of this.chunks) {
      const start = Math.max(from, offset);
      const end = Math.min(to, offset + bytes.length);
      if (start < end) result.set(bytes.subarray(start - offset, end - offset), start - from);
    }
    return result;
  }

  private forgetOldSentBytes(): void {
    const keepFrom = this.sent - this.keepSentBytes;
    let drop = 0;
    while (drop < this.chunks.length) {
      const chunk = this.chunks[drop]!;
      if (chunk.offset + chunk.bytes.length > keepFrom) break;
      drop++;
    }
    if (drop > 0) this.chunks.splice(0, drop);
  }
}

/**
 * Splits UTF-8 bytes into strings of at most `maxBytes` bytes without cutting
 * a character in two, so each piece's byte length is exactly what it counts
 * for on the server.
 */
function splitAtCharacters(bytes: Uint8Array, maxBytes: number): string[] {
  const decoder = new TextDecoder();
  const pieces: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(bytes.length, start + maxBytes);
    while (end < bytes.length && end > start + 1 && isContinuationByte(bytes[end]!)) end--;
    pieces.push(decoder.decode(bytes.subarray(start, end)));
    start = end;
  }
  return pieces;
}

function isContinuationByte(byte: number): boolean {
  return (byte & 0b1100_0000) === 0b1000_0000;
}
