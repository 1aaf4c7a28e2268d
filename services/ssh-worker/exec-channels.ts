/**
 * A session's `exec` requests: each runs on an SSH channel of its own, and
 * its output goes to the client as `exec-data` text, then `exec-exit`.
 *
 * Exec output is under a window like shell output (session-extension.md rule
 * 5): the gateway reports how much of it its socket has handed to the OS
 * (`exec-ack`, in jsonCost units); above `highWaterBytes` unreported, every exec channel of the
 * session is paused, so ssh2 stops adjusting their SSH windows and the remote
 * commands block; below `lowWaterBytes` they read again. A client that stops
 * reading while `cat /dev/zero` runs costs at most the window and what one
 * paused channel holds (its SSH window), not the command's output.
 *
 * The number of commands running at once is bounded too: each holds a
 * channel and its buffers.
 */
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel, ExecOptions } from 'ssh2';
import type { ExecDataMessage, ExecExitMessage } from '../../shared/protocol/events.js';
import type { ExecPayload } from '../../shared/protocol/inbound.js';

/** What the channels need from the session's SSH connection. */
export interface ExecConnection {
  exec(command: string, options: ExecOptions, callback: (error: Error | undefined, stream: ClientChannel) => void): unknown;
}

/** Where exec news goes: to the gateway carrying the session. */
export interface ExecReporter {
  data(message: ExecDataMessage, bytes: number): void;
  exit(message: ExecExitMessage): void;
  error(message: string): void;
}

export interface ExecWindow {
  highWaterBytes: number;
  lowWaterBytes: number;
  maxConcurrent: number;
}

export interface ExecDefaults {
  term: string;
  size(): { cols: number; rows: number };
}

/**
 * What a piece of exec text costs on its way (Redis, the gateway, the
 * WebSocket): it travels as a JSON string, where a control character takes
 * six bytes. The window counts that, so binary output cannot inflate
 * memory six-fold behind a window counted in raw bytes.
 */
export function jsonCost(text: string): number {
  return Buffer.byteLength(JSON.stringify(text));
}

export class ExecChannels {
  private readonly running = new Set<ClientChannel>();
  /** Requests whose channel is still opening: they count against the bound too. */
  private opening = 0;
  /** Output sent, and reported handed to the client, in its cost on the wire (jsonCost). */
  private produced = 0;
  private acknowledged = 0;
  private paused = false;
  private closed = false;

  constructor(
    private readonly connection: ExecConnection,
    private readonly reporter: ExecReporter,
    private readonly window: ExecWindow,
    private readonly defaults: ExecDefaults,
  ) {}

  get count(): number {
    return this.running.size + this.opening;
  }

  run(request: ExecPayload): void {
    if (this.closed) return;
    if (this.count >= this.window.maxConcurrent) {
      this.reporter.error(`Exec refused: ${this.window.maxConcurrent} commands are already running in this session`);
      return;
    }
    const size = this.defaults.size();
    const pty = request.pty ? { term: request.term ?? this.defaults.term, cols: request.cols ?? size.cols, rows: request.rows ?? size.rows } : undefined;
    // Counted from the request, so a burst of requests cannot open more channels than the bound.
    this.opening++;
    this.connection.exec(request.command, { ...(pty && { pty }), ...(request.env && { env: request.env }) }, (error, stream) => {
      this.opening--;
      if (error) return this.reporter.error(`Exec failed: ${error.message}`);
      if (this.closed) return void stream.close();
      this.follow(stream, request.timeoutMs);
    });
  }

  /** The gateway handed `bytes` more exec output to its client's socket. */
  ack(bytes: number): void {
    this.acknowledged = Math.min(this.produced, this.acknowledged + bytes);
    this.applyWindow();
  }

  /**
   * A new socket carries the session: output the old one never delivered is
   * gone (exec output is not replayed), so the window starts afresh.
   */
  rebase(): void {
    this.acknowledged = this.produced;
    this.applyWindow();
  }

  closeAll(): void {
    this.closed = true;
    for (const stream of this.running) stream.close();
    this.running.clear();
  }

  private follow(stream: ClientChannel, timeoutMs: number | undefined): void {
    this.running.add(stream);
    if (this.paused) this.pauseStream(stream);
    let finished = false;
    let status: ExecExitMessage = { code: null, signal: null };
    const finish = (final: ExecExitMessage) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      this.running.delete(stream);
      this.reporter.exit(final);
    };
    const timer = timeoutMs
      ? setTimeout(() => {
          finish({ code: null, signal: 'TIMEOUT' });
          stream.close();
        }, timeoutMs)
      : undefined;
    stream.on('data', this.relay('stdout'));
    stream.stderr.on('data', this.relay('stderr'));
    // The exit status can arrive before the last output has been read:
    // report it when the channel closes, after all output.
    stream.on('exit', (code: number | null, signal?: string) => {
      status = { code, signal: signal ?? null };
    });
    stream.on('close', () => finish(status));
  }

  private relay(type: ExecDataMessage['type']): (chunk: Buffer) => void {
    const decoder = new StringDecoder('utf8');
    return (chunk) => {
      const data = decoder.write(chunk);
      if (!data) return;
      const cost = jsonCost(data);
      this.produced += cost;
      this.reporter.data({ type, data }, cost);
      this.applyWindow();
    };
  }

  private applyWindow(): void {
    const unacknowledged = this.produced - this.acknowledged;
    if (!this.paused && unacknowledged > this.window.highWaterBytes) {
      this.paused = true;
      for (const stream of this.running) this.pauseStream(stream);
    } else if (this.paused && unacknowledged <= this.window.lowWaterBytes) {
      this.paused = false;
      for (const stream of this.running) this.resumeStream(stream);
    }
  }

  private pauseStream(stream: ClientChannel): void {
    stream.pause();
    stream.stderr.pause();
  }

  private resumeStream(stream: ClientChannel): void {
    stream.resume();
    stream.stderr.resume();
  }
}
