/**
 * Terminal and exec output on their way down one browser socket, with a
 * count of what the operating system has actually taken.
 *
 * Engine.IO sends a socket's packets in batches: a batch goes to the
 * WebSocket when the previous one has been written, and the transport says
 * `drain` when its last frame's write completed (the bytes are in the
 * kernel). Each batch starts with a `flush` event; marking the counters
 * there and taking the mark off at the matching `drain` tells, exactly, how
 * much output has left this process. That count, not what the client claims,
 * bounds what the gateway acknowledges to the worker (output-acks.ts): a
 * client that stops reading stops the drains, and so its window.
 *
 * While a batch is being written, further output is held here and merged,
 * then goes as one frame with the next batch. Engine.IO would hold it just as
 * long; merging keeps a client that reads slowly from costing one packet
 * object per small write (a thousand one-byte writes are one frame, not a
 * thousand queued packets), so memory follows bytes, not messages.
 */
import type { ExecDataMessage } from '../../../shared/protocol/events.js';

/** The parts of a Socket.IO socket and its Engine.IO connection this needs. */
export interface WritableSocket {
  emit(event: 'data', chunk: Buffer | string): unknown;
  emit(event: 'exec-data', message: ExecDataMessage): unknown;
  readonly conn: {
    on(event: 'flush', listener: () => void): unknown;
    off(event: 'flush', listener: () => void): unknown;
    readonly transport: {
      readonly writable: boolean;
      on(event: 'drain' | 'ready', listener: () => void): unknown;
      off(event: 'drain' | 'ready', listener: () => void): unknown;
    };
  };
}

/** Output counts that have left the process. */
export interface Delivered {
  /** Terminal output offset (session-extension.md) written to the OS. */
  output: number;
  /** Exec output (in the worker's units, `exec-data`'s `bytes`) written to the OS. */
  exec: number;
}

/** Answers to client events that may wait, unread, for one batch to drain; beyond, they are dropped. */
const MAX_UNREAD_ANSWERS = 16;

type Held =
  | { kind: 'output'; chunks: Buffer[] }
  | { kind: 'exec'; message: ExecDataMessage; bytes: number }
  | { kind: 'event'; send: () => void };

export class SocketWriter {
  /** Terminal output bytes emitted: the output offset. */
  outputOffset = 0;
  private execBytes = 0;
  private held: Held[] = [];
  /** The counters at each batch written but not yet drained, oldest first. */
  private readonly marks: Delivered[] = [];
  /** What the last drain completed, reported once the batch after it (if any) has started. */
  private drained: Delivered | undefined;
  /** Answers sent since the last drain. */
  private answers = 0;

  constructor(
    private readonly socket: WritableSocket,
    private readonly onDelivered: (delivered: Delivered) => void,
  ) {
    // A batch already in flight (the connect packets) drains before ours do.
    if (!socket.conn.transport.writable) this.marks.push({ output: 0, exec: 0 });
    socket.conn.on('flush', this.onFlush);
    socket.conn.transport.on('drain', this.onDrain);
    socket.conn.transport.on('ready', this.onReady);
  }

  /**
   * A new output stream position (a login starts at 0, a resume at its
   * offset). Anything still held goes out first, in order: a socket starts a
   * new stream only when the last one left nothing behind (a failed login)
   * or is about to close.
   */
  restart(outputOffset: number): void {
    this.outputOffset = outputOffset;
  }

  output(data: Buffer): void {
    if (this.busy) {
      const last = this.held.at(-1);
      if (last?.kind === 'output') last.chunks.push(data);
      else this.held.push({ kind: 'output', chunks: [data] });
      return;
    }
    this.emitOutput(data);
  }

  exec(message: ExecDataMessage, bytes: number): void {
    if (this.busy) {
      const last = this.held.at(-1);
      if (last?.kind === 'exec' && last.message.type === message.type) {
        last.message = { type: message.type, data: last.message.data + message.data };
        last.bytes += bytes;
      } else this.held.push({ kind: 'exec', message, bytes });
      return;
    }
    this.emitExec(message, bytes);
  }

  /**
   * Sends something that must not overtake the output before it (an
   * exec's exit after its output, the end of the session after its last
   * bytes): at once when nothing is held, else after what is.
   */
  inOrder(send: () => void): void {
    if (this.held.length === 0) send();
    else this.held.push({ kind: 'event', send });
  }

  /**
   * Whether an answer to a client event (an error, a refusal) may go out
   * now. A client that sends events and never reads their answers gets
   * MAX_UNREAD_ANSWERS of them held for it, and no more.
   */
  mayAnswer(): boolean {
    if (this.busy && this.answers >= MAX_UNREAD_ANSWERS) return false;
    this.answers++;
    return true;
  }

  close(): void {
    this.socket.conn.off('flush', this.onFlush);
    this.socket.conn.transport.off('drain', this.onDrain);
    this.socket.conn.transport.off('ready', this.onReady);
    this.held = [];
  }

  private get busy(): boolean {
    return this.marks.length > 0;
  }

  // Counters move after the emit: a binary packet's attachment, or the
  // second event of an exec chunk, can go in the batch after the one its
  // emit started, and the mark of that first batch must not claim it.
  private emitOutput(data: Buffer): void {
    this.socket.emit('data', data);
    this.outputOffset += data.length;
  }

  private emitExec(message: ExecDataMessage, bytes: number): void {
    // WebSSH2 shows exec stdout in the terminal too.
    if (message.type === 'stdout') this.socket.emit('data', message.data);
    this.socket.emit('exec-data', message);
    this.execBytes += bytes;
  }

  private readonly onFlush = (): void => {
    this.marks.push({ output: this.outputOffset, exec: this.execBytes });
  };

  private readonly onDrain = (): void => {
    this.drained = this.marks.shift();
    this.answers = 0;
    // Still inside the drain, the transport is not writable: what was held
    // joins Engine.IO's buffer and leaves with the next batch.
    const held = this.held;
    this.held = [];
    for (const item of held) {
      if (item.kind === 'output') this.emitOutput(item.chunks.length === 1 ? item.chunks[0]! : Buffer.concat(item.chunks));
      else if (item.kind === 'exec') this.emitExec(item.message, item.bytes);
      else item.send();
    }
  };

  /** After Engine.IO has started the next batch (if anything was waiting). */
  private readonly onReady = (): void => {
    const drained = this.drained;
    if (!drained) return;
    this.drained = undefined;
    if (this.busy) return this.onDelivered(drained);
    // Nothing in flight: everything emitted so far is written.
    this.onDelivered({ output: this.outputOffset, exec: this.execBytes });
  };
}
