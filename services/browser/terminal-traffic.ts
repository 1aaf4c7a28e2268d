/**
 * A session's bytes on the page, across its sockets: output counted by
 * offset so each byte reaches the terminal once (output-offsets.ts) and
 * acknowledged as the terminal renders it (ack-throttle.ts); input kept in a
 * journal so each typed byte reaches the SSH session once (input-journal.ts)
 * and held while the server says its remote program is not reading.
 */
import type { BinaryFrame } from '../../shared/protocol/events.js';
import type { ResizePayload } from '../../shared/protocol/inbound.js';
import { INPUT_PIECE_BYTES } from '../../shared/protocol/limits.js';
import { AckThrottle } from './ack-throttle.js';
import { InputJournal } from './input-journal.js';
import { OutputOffsets } from './output-offsets.js';

const ACK_INTERVAL_MS = 50;
const ACK_STEP_BYTES = 64 * 1024;
/** Input already sent that is kept for a resume; only what was in flight when a socket died is ever re-sent. */
const RESEND_WINDOW_BYTES = 1024 * 1024;

/** Where the traffic goes: the live socket, when there is one. */
export interface TrafficSocket {
  /** False when no live socket carries the session now. */
  canSend(): boolean;
  ack(offset: number): void;
  input(piece: string): void;
  terminal(size: ResizePayload): void;
  resize(size: ResizePayload): void;
}

export class TerminalTraffic {
  private readonly output = new OutputOffsets();
  private readonly input = new InputJournal(RESEND_WINDOW_BYTES);
  private readonly acks: AckThrottle;
  /** Bumped per login, so write callbacks for an earlier session's output count for nothing. */
  private sessionNumber = 0;
  private sentSize: ResizePayload | undefined;
  /** The server asked us to hold input (its remote program is not reading): it waits in the journal. */
  private inputPaused = false;

  constructor(private readonly socket: TrafficSocket) {
    this.acks = new AckThrottle(
      ACK_INTERVAL_MS,
      ACK_STEP_BYTES,
      () => this.output.streamPosition,
      (offset) => {
        if (!socket.canSend()) return false;
        socket.ack(offset);
        return true;
      },
    );
  }

  /** Output bytes received: the offset a resume asks for. */
  get outputOffset(): number {
    return this.output.received;
  }

  /** Input bytes sent: the input offset a resume states. */
  get inputOffset(): number {
    return this.input.sent;
  }

  /** A new session: every count starts from zero. */
  restart(): void {
    this.sessionNumber++;
    this.output.restart();
    this.input.restart();
    this.acks.restart();
    this.sentSize = undefined;
  }

  /** A new socket: it says again if input must wait, and the terminal's size goes again only if asked. */
  newSocket(): void {
    this.inputPaused = false;
  }

  /**
   * Shell output (a binary frame); what is new goes to `show`, whose
   * `rendered` callback (the terminal's write callback) moves the acks on.
   */
  received(chunk: BinaryFrame, show: (bytes: Uint8Array, rendered: () => void) => void): void {
    const fresh = this.output.accept(new Uint8Array(chunk));
    if (!fresh) return;
    const sessionNumber = this.sessionNumber;
    const end = this.output.received;
    show(fresh, () => {
      if (sessionNumber === this.sessionNumber) this.acks.renderedUpTo(end);
    });
  }

  type(text: string): void {
    this.input.type(text);
    this.flushInput();
  }

  pauseInput(): void {
    this.inputPaused = true;
  }

  resumeInput(): void {
    this.inputPaused = false;
    this.flushInput();
  }

  /** Sends what was typed and not yet sent, in pieces the server takes. */
  flushInput(): void {
    if (this.inputPaused || !this.socket.canSend()) return;
    for (const piece of this.input.takeUnsent(INPUT_PIECE_BYTES)) this.socket.input(piece);
  }

  /** The first size answers getTerminal; later ones are resizes, sent only when the size changed. */
  sendSize(size: ResizePayload): void {
    if (this.sentSize === undefined) this.socket.terminal(size);
    else if (size.cols !== this.sentSize.cols || size.rows !== this.sentSize.rows) this.socket.resize(size);
    else return;
    this.sentSize = size;
  }

  /** A resume succeeded at these offsets: what was lost each way, in bytes (normally nothing). */
  resumedAt(outputOffset: number, inputOffset: number): { lostOutput: number; lostInput: number } {
    const lostOutput = this.output.resumedAt(outputOffset);
    const lostInput = this.input.rewindTo(inputOffset);
    this.acks.resumedAt(outputOffset);
    return { lostOutput, lostInput };
  }

  stopAcks(): void {
    this.acks.stop();
  }
}
