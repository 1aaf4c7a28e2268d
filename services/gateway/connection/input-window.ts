/**
 * How much of a session's input the gateway accepts from its client: at most
 * `windowBytes` beyond what the remote side has taken (its SSH window, which
 * a program that does not read its input stops opening). The worker reports
 * what was taken (`input-ack`, input-pipe.ts).
 *
 * At half the window the client is asked to pause (`session:input-paused`);
 * when the backlog has drained to a quarter it may go on
 * (`session:input-resumed`). Input beyond the window is refused: the caller
 * drops it and tells the client. A page that honours the pause holds its
 * input in its own memory and loses nothing; one that does not loses what
 * was refused, never anyone else's memory.
 */
export interface InputWindowEvents {
  paused(inputOffset: number): void;
  resumed(inputOffset: number): void;
}

export class InputWindow {
  /** Input bytes accepted for the session: its input offset. */
  private accepted = 0;
  private taken = 0;
  private paused = false;

  constructor(
    private readonly windowBytes: number,
    private readonly events: InputWindowEvents,
  ) {}

  get backlog(): number {
    return this.accepted - this.taken;
  }

  /** A new session (0, 0) or a resumed one (what its worker has accepted and had taken). */
  restart(accepted: number, taken: number): void {
    this.accepted = accepted;
    this.taken = Math.min(taken, accepted);
    this.paused = false;
    this.checkPause();
  }

  /** Accepts `bytes` more input, or refuses them (false) when they would overrun the window. */
  offer(bytes: number): boolean {
    if (this.backlog + bytes > this.windowBytes) return false;
    this.accepted += bytes;
    this.checkPause();
    return true;
  }

  /** The remote side has taken input up to `offset`. */
  takenUpTo(offset: number): void {
    if (offset <= this.taken) return;
    this.taken = Math.min(offset, this.accepted);
    if (this.paused && this.backlog <= this.windowBytes / 4) {
      this.paused = false;
      this.events.resumed(this.accepted);
    }
  }

  private checkPause(): void {
    if (!this.paused && this.backlog >= this.windowBytes / 2) {
      this.paused = true;
      this.events.paused(this.accepted);
    }
  }
}
