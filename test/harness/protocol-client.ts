/**
 * A WebSSH2 protocol client for tests, typed with the shared event maps. It
 * records every server event, accumulates shell output (binary `data`), and
 * offers waits on both. No mock anywhere: it speaks to a real gateway.
 */
import { io, type Socket } from 'socket.io-client';
import { SOCKET_IO_PATH, type ClientToServerEvents, type PromptMessage, type ServerToClientEvents } from '../../shared/protocol/events.js';
import type { AuthenticatePayload } from '../../shared/protocol/inbound.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface RecordedEvent {
  event: string;
  args: unknown[];
}

export type LoginOutcome = { success: true } | { success: false; message: string };

export class ProtocolClient {
  readonly events: RecordedEvent[] = [];
  private outputChunks: Buffer[] = [];
  private outputBytes = 0;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: ClientSocket) {
    socket.onAny((event: string, ...args: unknown[]) => {
      if (event === 'data' && typeof args[0] !== 'string') {
        const chunk = Buffer.isBuffer(args[0]) ? args[0] : Buffer.from(args[0] as ArrayBuffer);
        this.outputChunks.push(chunk);
        this.outputBytes += chunk.length;
      }
      this.events.push({ event, args });
      for (const wake of this.waiters) wake();
    });
    socket.on('disconnect', () => {
      this.events.push({ event: 'disconnect', args: [] });
      for (const wake of this.waiters) wake();
    });
  }

  static async connect(baseUrl: string, options: { extraHeaders?: Record<string, string> } = {}): Promise<ProtocolClient> {
    const socket: ClientSocket = io(baseUrl, {
      path: SOCKET_IO_PATH,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ...(options.extraHeaders && { extraHeaders: options.extraHeaders }),
    });
    const client = new ProtocolClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      // Engine.IO says only "websocket error"; what the WebSocket met (a refused
      // upgrade's status, a reset) is in its description.
      socket.once('connect_error', (error) => reject(new Error(`${error.message}${describeCause(error)}`)));
    });
    return client;
  }

  /** Every shell output byte received so far. */
  get output(): Buffer {
    if (this.outputChunks.length > 1) this.outputChunks = [Buffer.concat(this.outputChunks, this.outputBytes)];
    return this.outputChunks[0] ?? Buffer.alloc(0);
  }

  get outputText(): string {
    return this.output.toString('utf8');
  }

  /**
   * The full WebSSH2 login: waits for `request_auth`, authenticates, answers
   * any keyboard-interactive prompts with `answer`, and resolves with the
   * `auth_result`.
   */
  async login(
    credentials: AuthenticatePayload,
    answer?: (prompt: PromptMessage) => Record<string, string>,
    timeoutMs = 20_000,
  ): Promise<LoginOutcome> {
    await this.waitForEvent('authentication', (m) => (m as { action: string }).action === 'request_auth', timeoutMs);
    const from = this.events.length;
    if (answer) {
      this.socket.on('prompt', (prompt) => {
        this.socket.emit('prompt-response', { id: prompt.id, action: 'submit', inputs: answer(prompt) });
      });
    }
    this.socket.emit('authenticate', credentials);
    const result = (await this.waitForEvent(
      'authentication',
      (m) => (m as { action: string }).action === 'auth_result',
      timeoutMs,
      from,
    )) as { success: boolean; message?: string };
    return result.success ? { success: true } : { success: false, message: result.message ?? '' };
  }

  /** Logs in and opens the shell, as a browser does after `getTerminal`. */
  async openShell(credentials: AuthenticatePayload, size = { cols: 80, rows: 24 }): Promise<void> {
    const outcome = await this.login(credentials);
    if (!outcome.success) throw new Error(`login failed: ${outcome.message}`);
    await this.waitForEvent('getTerminal');
    this.socket.emit('terminal', size);
  }

  type(text: string): void {
    this.socket.emit('data', text);
  }

  /** Resolves with the first argument of the first matching event at or after index `from`. */
  waitForEvent(event: string, matches: (arg: unknown) => boolean = () => true, timeoutMs = 20_000, from = 0): Promise<unknown> {
    return this.waitUntil(() => {
      for (let i = from; i < this.events.length; i++) {
        const recorded = this.events[i]!;
        if (recorded.event === event && matches(recorded.args[0])) return { value: recorded.args[0] };
      }
      return undefined;
    }, timeoutMs, `event ${event}`);
  }

  /** Resolves once the shell output (as text) matches. */
  waitForOutput(pattern: RegExp | string, timeoutMs = 20_000): Promise<string> {
    return this.waitUntil<string>(() => {
      const text = this.outputText;
      const found = typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
      return found ? { value: text } : undefined;
    }, timeoutMs, `output ${String(pattern)}`);
  }

  /** Resolves once the shell output after byte `from` matches (cheap on a long session). */
  waitUntilOutputFrom(from: number, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    return this.waitUntil(() => {
      const text = this.output.subarray(from).toString('latin1');
      return pattern.test(text) ? { value: text } : undefined;
    }, timeoutMs, `output ${String(pattern)}`);
  }

  eventsNamed(event: string): unknown[] {
    return this.events.filter((e) => e.event === event).map((e) => e.args[0]);
  }

  close(): void {
    this.socket.disconnect();
  }

  private waitUntil<T>(check: () => { value: T } | undefined, timeoutMs: number, what: string): Promise<T> {
    const immediate = check();
    if (immediate) return Promise.resolve(immediate.value);
    return new Promise<T>((resolve, reject) => {
      const wake = () => {
        const result = check();
        if (!result) return;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(result.value);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        const tail = this.events.slice(-8).map((e) => `${e.event} ${JSON.stringify(e.args[0])?.slice(0, 120)}`);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last events:\n  ${tail.join('\n  ')}\n  output tail: ${JSON.stringify(this.outputText.slice(-300))}`));
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }
}

/** The cause Engine.IO attaches to a transport error (`description`), as text. */
function describeCause(error: Error): string {
  const description: unknown = (error as Error & { description?: unknown }).description;
  if (description === undefined) return '';
  if (description instanceof Error) return `: ${description.message}`;
  const message: unknown = typeof description === 'object' && description !== null && 'message' in description ? description.message : undefined;
  return typeof message === 'string' ? `: ${message}` : `: ${JSON.stringify(description)}`;
}
