/**
 * The output offset of session-extension.md: shell-output bytes received,
 * counted in order. A resume names the received offset, so the server
 * continues exactly after it; should a server ever answer with an earlier
 * offset, the overlap is dropped here so no byte reaches the terminal twice.
 */
export class OutputOffsets {
  /** Bytes received and passed on to the terminal: the offset a resume names. */
  received = 0;
  /** Where the server's stream on the current socket has got to, overlap included: acks may not pass it. */
  streamPosition = 0;
  /** Bytes still to drop because the server re-sends output the page already has. */
  private duplicateBytes = 0;

  /** A new session: its output starts at offset 0. */
  restart(): void {
    this.received = 0;
    this.streamPosition = 0;
    this.duplicateBytes = 0;
  }

  /**
   * One `data` chunk from the server: the part not seen before, or undefined
   * when all of it was.
   */
  accept(chunk: Uint8Array): Uint8Array | undefined {
    this.streamPosition += chunk.length;
    const skip = Math.min(this.duplicateBytes, chunk.length);
    this.duplicateBytes -= skip;
    if (skip === chunk.length) return undefined;
    const fresh = skip === 0 ? chunk : chunk.subarray(skip);
    this.received += fresh.length;
    return fresh;
  }

  /**
   * The server resumed output at `offset`. Returns how many bytes are lost
   * for good (0 unless the server skipped ahead of what the page has).
   */
  resumedAt(offset: number): number {
    this.streamPosition = offset;
    if (offset <= this.received) {
      this.duplicateBytes = this.received - offset;
      return 0;
    }
    const lost = offset - this.received;
    this.received = offset;
    this.duplicateBytes = 0;
    return lost;
  }
}
