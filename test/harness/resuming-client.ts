/**
 * A client that implements the session extension the way a browser page
 * should: it counts output and input offsets, acknowledges output as it
 * consumes it, and when its socket is lost (gateway killed, network drop,
 * gateway shutdown) it reconnects to the next gateway in its list, resumes,
 * and re-sends the input the SSH session had not received.
 */
import { io } from 'socket.io-client';
import { SOCKET_IO_PATH, type AuthenticationMessage, type ResumeFailureReason, type SessionInfo } from '../../shared/protocol/events.js';
import type { AuthenticatePayload } from '../../shared/protocol/inbound.js';
import type { ClientSocket } from './protocol-client.js';

export interface ResumingClientOptions {
  urls: string[];
  /** Acknowledge consumed output (as a page does after rendering); false behaves like a stock client. */
  acks?: boolean;
  /** Called with each output chunk, in order, exactly as received. */
  onOutput?: (chunk: Buffer) => void;
  reconnectDelayMs?: number;
}

export type ResumeEvent =
  | { type: 'resumed'; offset: number; inputOffset: number; url: string; atMs: number }
  | { type: 'resume-failed'; reason: ResumeFailureReason; message: string }
  | { type: 'detached'; reason: string }
  | { type: 'closed'; reason: string }
  | { type: 'socket-lost'; atMs: number };

export class ResumingClient {
  socket!: ClientSocket;
  info: SessionInfo | undefined;
  outputOffset = 0;
  readonly events: ResumeEvent[] = [];
  readonly errors: string[] = [];
  private input = Buffer.alloc(0);
  /** Input bytes handed to a socket that the server may not have received. */
  private sentInputOffset = 0;
  private urlIndex = 0;
  private connected = false;
  private resuming = false;
  private closedForGood = false;
  private ackQueued = false;
  private readonly authentication: AuthenticationMessage[] = [];
  private waiters = new Set<() => void>();

  constructor(private readonly options: ResumingClientOptions) {}

  get url(): string {
    return this.options.urls[this.urlIndex % this.options.urls.length]!;
  }

  /** Connects to the first gateway that answers, logs in and opens a shell. */
  async start(credentials: AuthenticatePayload, size = { cols: 120, rows: 40 }): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.open();
        break;
      } catch (error) {
        if (attempt + 1 >= this.options.urls.length) throw error;
        this.urlIndex++;
      }
    }
    // Recorded from the socket's creation: request_auth can arrive in the
    // same read as the connect acknowledgement.
    await this.until(() => this.authentication.some((m) => m.action === 'request_auth'), 10_000, 'request_auth');
    this.socket.emit('authenticate', credentials);
    await this.until(() => this.authentication.some((m) => m.action === 'auth_result'), 15_000, 'auth_result');
    const result = this.authentication.find((m) => m.action === 'auth_result')!;
    if (result.action === 'auth_result' && !result.success) throw new Error(`login failed: ${result.message}`);
    this.socket.emit('terminal', size);
    await this.until(() => this.info !== undefined, 10_000, 'session:info');
  }

  type(text: string): void {
    this.input = Buffer.concat([this.input, Buffer.from(text, 'utf8')]);
    this.flushInput();
  }

  /** The next gateway in the list receives the resume. */
  moveToNextGateway(): void {
    this.urlIndex++;
  }

  /** Drops the connection the way a network does: no goodbye to the server. */
  dropConnection(): void {
    this.socket.io.engine.close();
  }

  close(): void {
    this.closedForGood = true;
    this.socket?.disconnect();
  }

  async until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (check()) return;
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${JSON.stringify(this.events.slice(-6))}; errors: ${this.errors.slice(-3).join(' | ')}`));
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private async open(): Promise<void> {
    const socket: ClientSocket = io(this.url, { path: SOCKET_IO_PATH, transports: ['websocket'], reconnection: false, forceNew: true });
    this.socket = socket;
    socket.on('data', (chunk) => {
      if (typeof chunk === 'string') return;
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as ArrayBuffer);
      this.outputOffset += bytes.length;
      this.options.onOutput?.(bytes);
      if (this.options.acks !== false && !this.ackQueued) {
        // Everything consumed in this turn, acknowledged once.
        this.ackQueued = true;
        setImmediate(() => {
          this.ackQueued = false;
          if (this.socket === socket && this.connected) socket.emit('session:ack', { offset: this.outputOffset });
        });
      }
      this.wake();
    });
    socket.on('authentication', (message) => {
      this.authentication.push(message);
      this.wake();
    });
    socket.on('session:info', (info) => {
      this.info = info;
      this.wake();
    });
    socket.on('session:resumed', ({ offset, inputOffset }) => {
      this.resuming = false;
      this.events.push({ type: 'resumed', offset, inputOffset, url: this.url, atMs: Date.now() });
      if (offset !== this.outputOffset) this.errors.push(`resumed at ${offset}, but ${this.outputOffset} bytes were received`);
      this.sentInputOffset = inputOffset;
      this.flushInput();
      this.wake();
    });
    socket.on('session:resume-failed', ({ reason, message }) => {
      this.resuming = false;
      this.events.push({ type: 'resume-failed', reason, message });
      this.wake();
    });
    socket.on('session:detached', ({ reason }) => {
      this.events.push({ type: 'detached', reason });
      if (reason === 'taken-over') this.closedForGood = true;
      this.wake();
    });
    socket.on('session:closed', ({ reason }) => {
      this.closedForGood = true;
      this.events.push({ type: 'closed', reason });
      this.wake();
    });
    socket.on('ssherror', (message) => this.errors.push(message));
    socket.on('disconnect', () => {
      this.connected = false;
      if (this.closedForGood) return;
      this.events.push({ type: 'socket-lost', atMs: Date.now() });
      this.wake();
      this.reconnectSoon();
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => {
        this.connected = true;
        resolve();
      });
      socket.once('connect_error', reject);
    });
  }

  /** Resume through the next reachable gateway, trying each in turn. */
  private reconnectSoon(): void {
    setTimeout(() => void this.reconnect(), this.options.reconnectDelayMs ?? 50);
  }

  private async reconnect(): Promise<void> {
    if (this.closedForGood || this.connected) return;
    try {
      await this.open();
    } catch {
      this.urlIndex++;
      this.reconnectSoon();
      return;
    }
    this.resuming = true;
    this.socket.emit('session:resume', {
      sessionId: this.info!.sessionId,
      resumeToken: this.info!.resumeToken,
      offset: this.outputOffset,
      inputOffset: this.sentInputOffset,
    });
  }

  private flushInput(): void {
    if (!this.connected || this.resuming || this.sentInputOffset >= this.input.length) return;
    this.socket.emit('data', this.input.subarray(this.sentInputOffset).toString('utf8'));
    this.sentInputOffset = this.input.length;
  }
}
