/**
 * The session log ("Start log" / "Stop log" / "Download log"): shell output
 * as plain text. Bytes are decoded with a streaming decoder, since a chunk
 * may end inside a UTF-8 character, then stripped of escape sequences. The
 * log is bounded so a flood of output cannot exhaust the tab's memory; the
 * oldest text goes first.
 */
import { AnsiStripper } from './ansi-stripper.js';

const MAX_LOG_CHARACTERS = 32 * 1024 * 1024;

export class SessionLog {
  private decoder: TextDecoder | undefined;
  private stripper = new AnsiStripper();
  private pieces: string[] = [];
  private length = 0;
  private truncated = false;

  get recording(): boolean {
    return this.decoder !== undefined;
  }

  get isEmpty(): boolean {
    return this.length === 0;
  }

  start(): void {
    if (this.decoder) return;
    this.decoder = new TextDecoder('utf-8');
    // What came before the log started may have ended mid-sequence.
    this.stripper = new AnsiStripper();
  }

  stop(): void {
    if (!this.decoder) return;
    this.append(this.decoder.decode());
    this.decoder = undefined;
  }

  recordBytes(bytes: Uint8Array): void {
    if (this.decoder) this.append(this.decoder.decode(bytes, { stream: true }));
  }

  recordText(text: string): void {
    if (this.decoder) this.append(text);
  }

  text(): string {
    const body = this.pieces.join('');
    return this.truncated ? `[earlier output dropped: the log keeps the last ${MAX_LOG_CHARACTERS} characters]\n${body}` : body;
  }

  private append(decoded: string): void {
    const plain = this.stripper.push(decoded);
    if (plain === '') return;
    this.pieces.push(plain);
    this.length += plain.length;
    while (this.length > MAX_LOG_CHARACTERS && this.pieces.length > 1) {
      this.length -= this.pieces.shift()!.length;
      this.truncated = true;
    }
  }
}
