/**
 * A live session's terminal traffic on one socket, both ways, each under its
 * window: output and exec output go down the socket (socket-writer.ts) and
 * what the OS has taken is acknowledged to the worker (output-acks.ts);
 * typed input goes to the worker while the input window has room
 * (input-window.ts), and the client is asked to pause when it has not.
 */
import type { ExecDataMessage } from '../../../shared/protocol/events.js';
import type { GatewayMetrics } from '../metrics.js';
import type { LogBudget } from './log-budget.js';
import { InputWindow } from './input-window.js';
import { OutputAcks, type AckMessage } from './output-acks.js';
import { Receipts } from './receipts.js';
import { SocketWriter } from './socket-writer.js';
import type { BrowserSocket, GatewaySettings } from './parts.js';

export interface StreamsLink {
  /** Acknowledgements for the worker (only while the session is live). */
  toWorker(ack: AckMessage): void;
  /** Tells the client something it did went wrong (within the answer budget). */
  tell(message: string): void;
  complaints: LogBudget;
}

export class TerminalStreams {
  private readonly writer: SocketWriter;
  private readonly acks: OutputAcks;
  private readonly input: InputWindow;
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

  /** Output bytes emitted: the session's output offset on this socket. */
  get outputOffset(): number {
    return this.writer.outputOffset;
  }

  /** Counting starts afresh (a login) or where the worker stands (a resume). */
  restart(outputOffset: number, inputOffset: number, inputTaken: number): void {
    this.writer.restart(outputOffset);
    this.acks.restart(outputOffset);
    this.input.restart(inputOffset, inputTaken);
    this.inputRefusalTold = false;
  }

  output(data: Buffer): void {
    this.writer.output(data);
    this.metrics.outputSent(data.length);
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
  }

  /**
   * Typed input, as bytes for the worker, or undefined when it is refused:
   * no session yet, or the input window is full (the remote program does not
   * read). The client is told once until the window reopens.
   */
  typed(text: string, live: boolean): Buffer | undefined {
    if (!live) return this.refuseInput('No SSH session is open yet: input dropped');
    // Measured before it is copied: refused input must cost as little as possible.
    if (!this.input.offer(Buffer.byteLength(text, 'utf8'))) {
      return this.refuseInput(`Input dropped: the remote program is not reading its input (${Math.round(this.input.backlog / 1024)} KiB waiting)`);
    }
    return Buffer.from(text, 'utf8');
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

  private refuseInput(message: string): undefined {
    if (this.inputRefusalTold) return undefined;
    this.inputRefusalTold = true;
    this.link.complaints.info({ event: 'input-refused' }, message);
    this.link.tell(message);
    return undefined;
  }
}
