/**
 * The session's interactive shell: the pty channel, keystrokes into it
 * (input-pipe.ts: in order, bounded, taken counts reported to the gateway)
 * and its output out (output-relay.ts: numbered, kept for a resume,
 * flow-controlled, posted through the gateway link). It also runs the idle
 * and duration clocks, which only a shell can expire.
 *
 * Input may arrive before the shell is open (typed ahead while the channel
 * opens): it waits in the pipe and goes in first, in order.
 */
import type { Client, ClientChannel } from 'ssh2';
import type { Config } from '../../shared/config/schema.js';
import type { Logger } from '../../shared/log/logger.js';
import type { GatewayLink } from './gateway-link.js';
import { InputPipe } from './input-pipe.js';
import { OutputRelay } from './output-relay.js';
import { SessionTimeouts } from './session-timeouts.js';

/** A request for missing input goes out again if the gap has not been filled this long after it. */
const INPUT_ASK_INTERVAL_MS = 1_000;

export interface TerminalSize {
  cols: number;
  rows: number;
}

export interface ShellParts {
  sid: string;
  client: Client;
  term: string;
  settings: Pick<Config, 'flow' | 'session'>;
  link: GatewayLink;
  log: Logger;
  countBytes: (direction: 'in' | 'out', bytes: number) => void;
  /** The shell is gone (closed, refused, or a clock ran out): the session ends with `reason`. */
  ended: (reason: string) => void;
}

export class ShellChannel {
  private channel: ClientChannel | undefined;
  private requested = false;
  private relay: OutputRelay | undefined;
  private timeouts: SessionTimeouts | undefined;
  private readonly input: InputPipe;
  /** Set while input is being dropped for want of room, so the client is told once per episode. */
  private inputOverflowing = false;
  /** The last request for missing input: where the input stood, and when. */
  private inputAsked: { offset: number; at: number } | undefined;
  private currentSize: TerminalSize;
  /** How the remote program ended, when it says. */
  exit: { code?: number; signal?: string } = {};

  constructor(
    private readonly parts: ShellParts,
    size: TerminalSize,
  ) {
    this.currentSize = size;
    const { inputWindowBytes } = parts.settings.flow;
    this.input = new InputPipe(
      { reportStepBytes: Math.max(1, Math.floor(inputWindowBytes / 8)), maxBacklogBytes: inputWindowBytes },
      (offset) => parts.link.post({ type: 'input-ack', sid: parts.sid, offset }),
    );
  }

  /** The terminal's size now (exec channels with a pty take it too). */
  get size(): TerminalSize {
    return this.currentSize;
  }

  /** Input bytes accepted: the session's input offset. */
  get inputOffset(): number {
    return this.input.received;
  }

  /** Input bytes the remote side has taken. */
  get inputTaken(): number {
    return this.input.taken;
  }

  /** Output bytes produced: the session's output offset. */
  get outputOffset(): number {
    return this.relay?.producedOffset ?? 0;
  }

  /** Opens the shell with the pty the browser asked for (asked again: a resize). */
  open(size: TerminalSize): void {
    if (this.requested) return this.resize(size);
    this.requested = true;
    this.currentSize = size;
    const { client, term } = this.parts;
    client.shell({ term, cols: size.cols, rows: size.rows }, (error, channel) => {
      if (error) {
        this.parts.link.post({ type: 'ssherror', sid: this.parts.sid, message: `Could not open a shell: ${error.message}` });
        this.parts.ended('shell refused');
        return;
      }
      this.opened(channel, size);
    });
  }

  resize(size: TerminalSize): void {
    this.currentSize = size;
    this.channel?.setWindow(size.rows, size.cols, 0, 0);
  }

  /**
   * Input from the client, from byte `offset` of the session's input. The
   * gateway's input window keeps it within the bound; if a gateway does not
   * (another release, a bug), the excess is dropped and said so. A gap (Redis
   * lost input in a failover) asks the gateway to send again what follows
   * the input received.
   */
  write(offset: number | undefined, data: Buffer): void {
    const outcome = this.input.offer(offset, data);
    if (outcome === 'gap') return this.askForInput();
    if (outcome === 'repeated') return;
    if (outcome === 'dropped') {
      if (!this.inputOverflowing) {
        this.inputOverflowing = true;
        this.parts.log.warn({ event: 'input-dropped', backlog: this.input.backlog }, 'input dropped: the remote side is not reading it');
        this.parts.link.post({ type: 'ssherror', sid: this.parts.sid, message: 'Input dropped: the remote program is not reading its input' });
      }
      return;
    }
    this.inputOverflowing = false;
    this.parts.countBytes('in', data.length);
    this.timeouts?.activity();
  }

  /**
   * Tells the carrier how much input arrived, so it sends again what Redis
   * lost: on a gap, and for every session after this worker's inbox lost
   * messages. Asked once per gap (again if the gap outlives a second: the
   * request itself may have been lost).
   */
  askForInput(): void {
    const offset = this.input.received;
    const now = Date.now();
    if (this.inputAsked && this.inputAsked.offset === offset && now - this.inputAsked.at < INPUT_ASK_INTERVAL_MS) return;
    this.inputAsked = { offset, at: now };
    this.parts.link.post({ type: 'input-sync', sid: this.parts.sid, offset });
  }

  /** Types a stored password into the shell, outside the input offset; says why not when it cannot. */
  typeSecret(secret: Buffer): string | undefined {
    if (!this.channel) return 'No active shell';
    if (!this.input.inject(secret)) return 'Credentials not replayed: the remote program is not reading its input';
    return undefined;
  }

  /** The client has taken output up to `offset`. */
  acknowledge(offset: number): void {
    this.relay?.ack(offset);
  }

  /** Whether output can be re-sent from `offset` to a gateway that takes the session over. */
  canResendFrom(offset: number): 'ok' | 'gone' | 'ahead' {
    if (this.relay) return this.relay.canResendFrom(offset);
    return offset === 0 ? 'ok' : 'ahead';
  }

  /** A new carrier has everything before `offset`: the rest goes out again, and its windows start from here. */
  resendFrom(offset: number): void {
    this.relay?.resendFrom(offset);
  }

  /** The session is ending: the clocks stop and pending output goes out. */
  stop(): void {
    this.timeouts?.stop();
    this.relay?.flush();
  }

  private opened(channel: ClientChannel, requested: TerminalSize): void {
    const { settings, link, countBytes, ended, sid } = this.parts;
    this.channel = channel;
    // Each output message says how much input had arrived: an echo frees the gateway's copy of the keystroke.
    const sink = { send: (offset: number, data: Buffer) => link.send(offset, data, this.input.received) };
    const relay = new OutputRelay(sink, channel, {
      highWaterBytes: settings.flow.highWaterBytes,
      lowWaterBytes: settings.flow.lowWaterBytes,
      replayBytes: settings.session.replayBytes,
    });
    this.relay = relay;
    const timeouts = new SessionTimeouts(settings.session, (message) => {
      link.post({ type: 'ssherror', sid, message });
      ended(message);
    });
    this.timeouts = timeouts;
    timeouts.start();
    // A size that changed while the shell was opening.
    const size = this.currentSize;
    if (size.cols !== requested.cols || size.rows !== requested.rows) channel.setWindow(size.rows, size.cols, 0, 0);
    const output = (chunk: Buffer) => {
      countBytes('out', chunk.length);
      timeouts.activity();
      relay.push(chunk);
    };
    channel.on('data', output);
    channel.stderr.on('data', output);
    channel.on('exit', (code: number | null, signal?: string) => {
      this.exit = { code: code ?? undefined, signal: signal ?? undefined };
    });
    channel.on('close', () => ended('shell closed'));
    this.input.attach({ write: (data, done) => void channel.write(data, done) });
  }
}
