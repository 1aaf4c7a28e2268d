/**
 * A live session's terminal traffic on one socket, both ways, each under its
 * window: output and exec output go down the socket (socket-writer.ts) and
 * what the OS has taken is acknowledged to the worker (output-acks.ts);
 * typed input goes to the worker while the input window has room
 * (input-window.ts), and the client is asked to pause when it has not.
 *
 * Both directions count bytes, so each byte crosses once even when Redis
 * fails over: output the socket already has is dropped, output after a gap
 * asks the worker to send again from the socket's offset (a re-attach), and
 * input is kept until the worker shows it arrived (sent-input.ts).
 */
import type { ExecDataMessage } from '../../../shared/protocol/events.js';
import type { GatewayMetrics } from '../metrics.js';
import type { LogBudget } from './log-budget.js';
import { InputWindow } from './input-window.js';
import { OutputAcks, type AckMessage } from './output-acks.js';
import { Receipts } from './receipts.js';
import { SentInput } from './sent-input.js';
import { SocketWriter } from './socket-writer.js';
import type { BrowserSocket, GatewaySettings } from './parts.js';

/** Input for the worker, from byte `offset` of the session's input. */
export interface InputMessage {
  type: 'input';
  offset: number;
  data: Buffer;
}

/** A gap in the output is asked about at most this often (the answer may itself be lost). */
const RESYNC_INTERVAL_MS = 1_000;

export interface StreamsLink {
  /** Acknowledgements and input for the worker (only while the session is live). */
  toWorker(message: AckMessage | InputMessage): void;
  /** Output went missing: ask the worker to send again from `outputOffset` (a re-attach). */
  resync(): void;
  /** Tells the client something it did went wrong (within the answer budget). */
  tell(message: string): void;
  complaints: LogBudget;
}

export class TerminalStreams {
  private readonly writer: SocketWriter;
  private readonly acks: OutputAcks;
  private readonly input: InputWindow;
  private readonly sentInput = new SentInput();
  /** Output bytes taken from the worker (the writer may hold the newest: its own offset counts what it wrote). */
  private received = 0;
  /** The last output gap asked about: at which offset, and when. */
  private resyncAsked: { offset: number; at: number } | undefined;
  readonly receipts: Receipts;
  /** The client was told its input is being dropped; told again only after the window has reopened. */
  private inputRefusalTold = false;

  constructor(
    socket: BrowserSocket,
    flow: GatewaySettings['flow'],
    private readonly metrics: Pick<GatewayMetrics, 'outputSent'>,
    private readonly link: StreamsLink,
  ) {
    this.acks = new OutputAcks(flow.lowWaterBytes, () => this.writer.outputOffset, (ack) => link.toWorker(ack));
    this.writer = new SocketWriter(socket, (delivered) => this.acks.written(delivered));
    this.receipts = new Receipts(socket.conn);
    this.input = new InputWindow(flow.inputWindowBytes, {
      paused: (inputOffset) => socket.emit('session:input-paused', { inputOffset }),
      resumed: (inputOffset) => {
        this.inputRefusalTold = false;
        socket.emit('session:input-resumed', { inputOffset });
      },
    });
  }

  /**
   * Output bytes this socket has from the worker, written or held by the
   * writer while the client reads what went before: the session's output
   * offset here, and where a re-attach asks the worker to go on from.
   */
  get outputOffset(): number {
    return this.received;
  }

  /** Counting starts afresh (a login) or where the worker stands (a resume). */
  restart(outputOffset: number, inputOffset: number, inputTaken: number): void {
    this.writer.restart(outputOffset);
    this.acks.restart(outputOffset);
    this.received = outputOffset;
    this.input.restart(inputOffset, inputTaken);
    this.sentInput.restart(inputOffset);
    this.inputRefusalTold = false;
    this.resyncAsked = undefined;
  }

  /**
   * Shell output from byte `offset`: each byte goes down the socket once and
   * in order. `inputOffset`: the input the worker had when it sent it.
   */
  output(offset: number, data: Buffer, inputOffset?: number): void {
    if (inputOffset !== undefined) this.sentInput.received(inputOffset);
    const expected = this.received;
    if (offset > expected) return this.outputGap(expected);
    const fresh = offset < expected ? data.subarray(expected - offset) : data;
    if (fresh.length === 0) return;
    this.received += fresh.length;
    this.writer.output(fresh);
    this.metrics.outputSent(fresh.length);
  }

  execOutput(message: ExecDataMessage, bytes: number): void {
    this.writer.exec(message, bytes);
  }

  /** Something from the worker that must not overtake the output it sent before. */
  inOrder(send: () => void): void {
    this.writer.inOrder(send);
  }

  /** The worker's SSH channel has taken input up to `offset`. */
  inputTaken(offset: number): void {
    this.input.takenUpTo(offset);
    this.sentInput.received(offset);
  }

  /** The worker has received input up to `offset` and no further: what was sent after it goes again. */
  inputReceivedUpTo(offset: number): void {
    const missing = this.sentInput.since(offset);
    if (missing) this.link.toWorker({ type: 'input', offset, data: missing });
  }

  /**
   * Typed input, to the worker unless it is refused: no session yet, or the
   * input window is full (the remote program does not read). The client is
   * told once until the window reopens.
   */
  typed(text: string, live: boolean): void {
    if (!live) return this.refuseInput('No SSH session is open yet: input dropped');
    // Measured before it is copied: refused input must cost as little as possible.
    const offset = this.sentInput.end;
    if (!this.input.offer(Buffer.byteLength(text, 'utf8'))) {
      return this.refuseInput(`Input dropped: the remote program is not reading its input (${Math.round(this.input.backlog / 1024)} KiB waiting)`);
    }
    const data = Buffer.from(text, 'utf8');
    this.sentInput.sent(data);
    this.link.toWorker({ type: 'input', offset, data });
  }

  /** The client's `session:ack`. */
  clientAck(offset: number): void {
    if (!this.acks.fromClient(offset)) this.link.tell('session:ack offset is ahead of the output sent');
  }

  /** Whether an answer to a client event may go out (socket-writer.ts). */
  mayAnswer(): boolean {
    return this.writer.mayAnswer();
  }

  close(): void {
    this.writer.close();
    this.receipts.close();
  }

  private outputGap(expected: number): void {
    const now = Date.now();
    const asked = this.resyncAsked;
    if (asked && asked.offset === expected && now - asked.at < RESYNC_INTERVAL_MS) return;
    this.resyncAsked = { offset: expected, at: now };
    this.link.resync();
  }

  private refuseInput(message: string): undefined {
    if (this.inputRefusalTold) return undefined;
    this.inputRefusalTold = true;
    this.link.complaints.info({ event: 'input-refused' }, message);
    this.link.tell(message);
    return undefined;
  }
}
