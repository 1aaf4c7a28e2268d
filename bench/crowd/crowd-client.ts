/**
 * Child-process entry: a crowd of terminals on one fleet, driven by the
 * bench over IPC (crowd-protocol.ts). It runs in a process of its own so
 * that its CPU (thousands of Socket.IO clients) is neither counted as the
 * fleet's nor taken from the bench's timers.
 *
 * Each terminal logs in like the page (WebSocket only), opens the shell and
 * waits for the scripted target's prompt. Typing spreads a fixed total rate
 * of single keystrokes round-robin over the crowd and times each one to its
 * echo; output is acknowledged the way the page does it (at most every
 * ACK_INTERVAL_MS), so the fleet sees the events a real browser sends.
 */
import { io, type Socket } from 'socket.io-client';
import { SOCKET_IO_PATH, type ClientToServerEvents, type ServerToClientEvents } from '../../shared/protocol/events.js';
import { PTY, type ShellTarget } from '../shell.js';
import { percentile } from '../stats.js';
import type { CrowdReply, CrowdRequest, GrowResult, TypingResult } from './crowd-protocol.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The page's pacing of session:ack (services/browser/terminal-traffic.ts). */
const ACK_INTERVAL_MS = 50;
/** Logins in flight at once while the crowd grows. */
const GROW_CONCURRENCY = 200;
const LOGIN_TIMEOUT_MS = 60_000;
/** Keystrokes are sent in ticks of this length, rate * tick / 1000 at a time. */
const TICK_MS = 10;
/** After typing stops, echoes still in flight get this long to arrive. */
const ECHO_GRACE_MS = 5_000;

class Terminal {
  received = 0;
  private acked = 0;
  private ackTimer: NodeJS.Timeout | undefined;
  /** The keystroke waiting for its echo, and when it was sent. */
  private pending: { key: number; sentAt: bigint } | undefined;

  constructor(
    readonly socket: ClientSocket,
    private readonly onEcho: (latencyMs: number) => void,
  ) {}

  output(bytes: Buffer): void {
    this.received += bytes.length;
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = undefined;
      if (this.received > this.acked) {
        this.acked = this.received;
        this.socket.emit('session:ack', { offset: this.received });
      }
    }, ACK_INTERVAL_MS);
    const pending = this.pending;
    if (pending && bytes[bytes.length - 1] === pending.key) {
      this.pending = undefined;
      this.onEcho(Number(process.hrtime.bigint() - pending.sentAt) / 1e6);
    }
  }

  /** Types one key unless the last one has not echoed yet; false if it had not. */
  type(key: string): boolean {
    if (this.pending) return false;
    this.pending = { key: key.charCodeAt(0), sentAt: process.hrtime.bigint() };
    this.socket.emit('data', key);
    return true;
  }

  get waiting(): boolean {
    return this.pending !== undefined;
  }

  close(): void {
    clearTimeout(this.ackTimer);
    this.socket.disconnect();
  }
}

class Crowd {
  private readonly terminals: Terminal[] = [];
  private latencies: number[] | undefined;
  private next = 0;

  constructor(
    private readonly url: string,
    private readonly target: ShellTarget,
  ) {}

  async grow(to: number): Promise<GrowResult> {
    const started = Date.now();
    const wanted = to - this.terminals.length;
    const failures: string[] = [];
    let launched = 0;
    const lane = async (): Promise<void> => {
      while (launched < wanted) {
        launched++;
        try {
          this.terminals.push(await this.open());
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(GROW_CONCURRENCY, Math.max(0, wanted)) }, lane));
    return { open: this.terminals.length, failed: failures.length, failures: [...new Set(failures)].slice(0, 5), seconds: (Date.now() - started) / 1000 };
  }

  async type(rate: number, durationMs: number): Promise<TypingResult> {
    const latencies: number[] = (this.latencies = []);
    const perTick = (rate * TICK_MS) / 1000;
    let due = 0;
    let sent = 0;
    let skipped = 0;
    const started = Date.now();
    while (Date.now() - started < durationMs) {
      due += perTick;
      for (; due >= 1; due--) {
        const terminal = this.terminals[this.next++ % this.terminals.length]!;
        if (terminal.type(String.fromCharCode(97 + (sent % 26)))) sent++;
        else skipped++;
      }
      await new Promise((resolve) => setTimeout(resolve, TICK_MS - ((Date.now() - started) % TICK_MS)));
    }
    const seconds = (Date.now() - started) / 1000;
    const graceUntil = Date.now() + ECHO_GRACE_MS;
    while (this.terminals.some((t) => t.waiting) && Date.now() < graceUntil) await new Promise((resolve) => setTimeout(resolve, 20));
    this.latencies = undefined;
    return { sent, echoed: latencies.length, skipped, seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
  }

  close(): void {
    for (const terminal of this.terminals.splice(0)) terminal.close();
  }

  private open(): Promise<Terminal> {
    const socket: ClientSocket = io(this.url, { path: SOCKET_IO_PATH, transports: ['websocket'], reconnection: false, forceNew: true });
    const terminal = new Terminal(socket, (ms) => this.latencies?.push(ms));
    return new Promise<Terminal>((resolve, reject) => {
      const timer = setTimeout(() => fail(`no prompt within ${LOGIN_TIMEOUT_MS} ms`), LOGIN_TIMEOUT_MS);
      let ready = false;
      function fail(problem: string): void {
        clearTimeout(timer);
        socket.disconnect();
        reject(new Error(problem));
      }
      socket.on('connect_error', (error) => fail(`connect_error: ${error.message}`));
      socket.on('ssherror', (message) => {
        if (!ready) fail(`ssherror: ${message}`);
      });
      socket.on('authentication', (message) => {
        if (message.action === 'request_auth') socket.emit('authenticate', { ...this.target, term: PTY.term, cols: PTY.cols, rows: PTY.rows });
        else if (message.action === 'auth_result' && !message.success) fail(`authentication failed: ${message.message}`);
      });
      socket.once('getTerminal', () => socket.emit('terminal', { cols: PTY.cols, rows: PTY.rows }));
      socket.on('data', (chunk) => {
        if (typeof chunk === 'string') return;
        terminal.output(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as ArrayBuffer));
        // The scripted shell's prompt is its first output.
        if (!ready) {
          ready = true;
          clearTimeout(timer);
          resolve(terminal);
        }
      });
    });
  }
}

let crowd: Crowd | undefined;

process.on('message', (raw) => {
  const request = raw as CrowdRequest;
  handle(request).then(
    (result) => process.send!({ id: request.id, ok: true, result } satisfies CrowdReply),
    (error: Error) => process.send!({ id: request.id, ok: false, error: error.stack ?? error.message } satisfies CrowdReply),
  );
});
// The bench going away ends the crowd.
process.on('disconnect', () => {
  crowd?.close();
  process.exit(0);
});

async function handle(request: CrowdRequest): Promise<GrowResult | TypingResult | null> {
  switch (request.kind) {
    case 'start':
      crowd = new Crowd(request.url, request.target);
      return null;
    case 'grow':
      return started().grow(request.to);
    case 'type':
      return started().type(request.rate, request.durationMs);
  }
}

function started(): Crowd {
  if (!crowd) throw new Error('crowd not started');
  return crowd;
}
