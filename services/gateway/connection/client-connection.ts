/**
 * One browser socket on this gateway: the WebSSH2 conversation on one side,
 * bus messages to and from the session's worker on the other. It holds no
 * SSH connection and nothing that a resume could not rebuild.
 *
 * The rooms: browser-events.ts parses what the browser sends; login-flow.ts
 * and resume-flow.ts get a session onto this socket; terminal-streams.ts
 * carries a live session's bytes both ways; the session's state lives in
 * session-state.ts. This class wires them, routes the worker's messages, and
 * decides what the socket's end, a takeover, a lost worker or this gateway's
 * shutdown mean for the session.
 *
 * One keystroke: browser-events (`data`) -> terminal-streams
 * (input window) -> worker-outbox -> bus. Its echo: bus -> gateway.ts (route)
 * -> here (deliver) -> terminal-streams (output) -> socket-writer -> socket.
 */
import type { z } from 'zod';
import type { InboxAddress, ToGateway, ToWorker } from '../../../shared/bus/messages.js';
import type { Logger } from '../../../shared/log/logger.js';
import { parseInbound } from '../validation.js';
import { listenToBrowser } from './browser-events.js';
import type { ConnectionContext } from './context.js';
import { LogBudget } from './log-budget.js';
import { LoginFlow } from './login-flow.js';
import type { BrowserSocket, GatewayParts, SessionRoutes, SocketArrival } from './parts.js';
import { ResumeFlow } from './resume-flow.js';
import { SessionState } from './session-state.js';
import { TerminalStreams } from './terminal-streams.js';
import { WorkerOutbox } from './worker-outbox.js';

export type { BrowserSocket, GatewayParts, GatewaySettings, SessionRoutes, SocketArrival } from './parts.js';

export class ClientConnection implements ConnectionContext {
  readonly connection = this;
  readonly state = new SessionState();
  readonly log: Logger;
  readonly complaints: LogBudget;
  readonly outbox: WorkerOutbox;
  readonly streams: TerminalStreams;
  private readonly login: LoginFlow;
  private readonly resumes: ResumeFlow;
  /** Closes a socket that never gets a session (FLEET_AUTH_TIMEOUT_MS). */
  private authTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: BrowserSocket,
    readonly parts: GatewayParts,
    readonly routes: SessionRoutes,
    readonly arrival: SocketArrival,
  ) {
    this.log = parts.log.child({ socket: socket.id, client: arrival.clientAddress });
    this.complaints = new LogBudget(this.log);
    this.outbox = new WorkerOutbox(parts.bus, this.log);
    this.streams = new TerminalStreams(socket, parts.settings.flow, parts.metrics, {
      toWorker: (message) => this.whenLive((sid) => this.toWorker({ ...message, sid })),
      resync: () => this.reattach(),
      tell: (message) => this.tell(message),
      complaints: this.complaints,
    });
    this.resumes = new ResumeFlow(this);
    listenToBrowser(this, {
      authenticate: (raw) => void this.login.authenticate(raw),
      resume: (request) => void this.resumes.resume(request, this.login.started),
      promptResponse: (response) => this.login.promptResponse(response),
      hostKeyResponse: (action) => this.login.hostKeyResponse(action),
      terminal: ({ cols, rows }) => this.whenLive((sid) => this.toWorker({ type: 'terminal', sid, cols, rows })),
      data: (text) => this.streams.typed(text, this.state.live),
      resize: ({ cols, rows }) => this.whenLive((sid) => this.toWorker({ type: 'resize', sid, cols, rows })),
      control: (action) => this.control(action),
      exec: (request) => (this.state.live ? this.toWorker({ type: 'exec', sid: this.state.sid!, request }) : this.tell('No SSH connection')),
      ack: (offset) => this.streams.clientAck(offset),
      disconnect: (reason) => this.disconnected(reason),
    });
    this.authTimer = setTimeout(this.authTimedOut, parts.settings.limits.authTimeoutMs);
    this.login = new LoginFlow(this, arrival.handoffId);
  }

  get gatewayAddress(): `gw:${string}` {
    return this.parts.bus.address as `gw:${string}`;
  }

  /** The worker this connection's session lives on, if any. */
  get workerAddress(): InboxAddress | undefined {
    return this.state.phase === 'gone' ? undefined : this.outbox.address;
  }

  /** A bus message for this connection's session. */
  deliver(message: ToGateway): void {
    switch (message.type) {
      case 'claimed':
      case 'prompt':
      case 'hostkey-verify':
      case 'hostkey-notice':
      case 'auth-result':
        return this.login.deliver(message);
      case 'attached':
        // Live already: the answer to a re-attach after lost messages.
        if (this.state.live) return this.streams.inputReceivedUpTo(message.inputOffset);
        return this.resumes.deliver(message);
      case 'attach-failed':
        return this.resumes.deliver(message);
      case 'output':
        return this.streams.output(message.offset, message.data, message.inputOffset);
      case 'exec-data':
        return this.streams.execOutput(message.message, message.bytes);
      case 'input-ack':
        return this.streams.inputTaken(message.offset);
      case 'input-sync':
        return this.streams.inputReceivedUpTo(message.offset);
      // After the output the worker sent before them, even if the socket holds some of it still.
      case 'exec-exit':
        return this.streams.inOrder(() => this.socket.emit('exec-exit', message.message));
      case 'ssherror':
        return this.streams.inOrder(() => this.socket.emit('ssherror', message.message));
      case 'ui':
        return this.streams.inOrder(() => this.socket.emit('updateUI', message.update));
      case 'closed':
        return this.sessionClosed(message.reason, message.exitCode, message.signal);
      case 'detached':
        return this.takenOver();
    }
  }

  /**
   * Another socket resumed the session (through another gateway, whose
   * worker said so, or through this one): this socket loses it at once, and
   * its later goodbye concerns no session.
   */
  takenOver(): void {
    if (this.state.phase === 'gone') return;
    this.socket.emit('session:detached', { reason: 'taken-over' });
    this.log.info({ sid: this.state.sid, event: 'session-taken-over' }, 'another socket took the session over');
    this.forgetSession();
    this.state.phase = 'gone';
    this.socket.disconnect(true);
  }

  /** Another socket of this gateway is resuming the session: send nothing on until it is decided. */
  hold(): void {
    this.outbox.hold();
  }

  /** That resume was refused: this socket still carries the session. */
  release(): void {
    this.outbox.release();
  }

  /** The session's worker died: the session is gone for good. */
  workerLost(): void {
    const { phase } = this.state;
    if (phase === 'logging-in') this.login.failed('The SSH worker stopped during login; try again');
    else if (phase === 'resuming') this.resumes.failed('expired', 'The SSH worker for this session stopped unexpectedly', 'unknown');
    else if (phase === 'live') this.sessionClosed('The SSH worker for this session stopped unexpectedly');
  }

  /**
   * Output to this socket may be missing (Redis lost messages to this
   * gateway): ask the worker to carry on from what this socket has actually
   * received. Its `attached` answer says what input arrived; the rest goes again.
   */
  reattach(): void {
    this.whenLive((sid) => this.toWorker(this.attachMessage(sid, this.streams.outputOffset)));
  }

  /**
   * Whether this gateway can read its inbox: while Redis is away (restarting
   * or failing over) the session is kept but nothing flows, and the user is
   * told why on the status line, and again when it flows.
   */
  storeReachable(reachable: boolean): void {
    this.whenLive(() => {
      const value = reachable ? 'The cluster store is back: nothing was lost' : 'The cluster store (Redis) is unreachable: your session is kept, and resumes when it is back';
      this.socket.emit('updateUI', { element: 'status', value });
      if (reachable) this.socket.emit('updateUI', { element: 'status', value: 'Connected' });
    });
  }

  /**
   * This gateway is going away: the session stays on its worker, and the
   * client is told to resume elsewhere.
   */
  shutdown(): void {
    const { sid, phase } = this.state;
    if (sid && phase === 'live') {
      this.socket.emit('session:detached', { reason: 'gateway-shutdown' });
      this.toWorker({ type: 'detach', sid });
    } else if (sid && (phase === 'logging-in' || phase === 'resuming')) {
      this.toWorker(phase === 'resuming' ? { type: 'detach', sid } : { type: 'close', sid, reason: 'gateway shut down during login' });
    } else if (sid && phase === 'placing') {
      void this.parts.placement.withdraw(sid).catch(() => false);
    }
    this.forgetSession();
    this.state.phase = 'gone';
    this.socket.disconnect(true);
  }

  attachMessage(sid: string, offset: number): ToWorker {
    return { type: 'attach', ...this.parts.proofs.attach({ sid, gateway: this.gatewayAddress, offset, tokenHash: this.state.tokenHash }) };
  }

  announceSession(): void {
    const { session } = this.parts.settings;
    this.socket.emit('session:info', {
      sessionId: this.state.sid!,
      resumeToken: this.state.resumeToken,
      detachTimeoutMs: session.detachTimeoutMs,
      replayBytes: session.replayBytes,
    });
    this.state.resumeToken = '';
  }

  parse<S extends z.ZodType>(event: string, schema: S, raw: unknown): z.output<S> | undefined {
    const parsed = parseInbound(schema, raw);
    if (parsed.ok) return parsed.value;
    this.complaints.warn({ event, problem: parsed.problem }, 'invalid event payload');
    this.tell(`Invalid ${event} payload: ${parsed.problem}`);
    return undefined;
  }

  tell(message: string): void {
    this.answer(() => this.socket.emit('ssherror', message));
  }

  /**
   * Sends an answer to a client event, unless the client has not been
   * reading its answers: a client can send events far faster than it reads,
   * and what it does not read must not pile up here (socket-writer.ts).
   */
  answer(send: () => void): void {
    if (this.streams.mayAnswer()) send();
  }

  toWorker(message: ToWorker): void {
    this.outbox.post(message);
  }

  forgetSession(): void {
    if (this.state.sid) this.routes.unregister(this.state.sid, this);
    this.resumes.abandon();
    this.outbox.reset();
    this.state.sid = undefined;
    this.streams.restart(0, 0, 0);
  }

  private whenLive(send: (sid: string) => void): void {
    if (this.state.live && this.state.sid) send(this.state.sid);
  }


  private control(action: 'replayCredentials' | 'reauth'): void {
    const { options } = this.parts.settings;
    if (action === 'reauth') {
      if (!options.allowReauth) this.tell('Re-authentication not permitted');
      else this.answer(() => this.socket.emit('authentication', { action: 'reauth' }));
      return;
    }
    if (!options.allowReplay) this.tell('Credential replay not permitted');
    else if (!this.state.live) this.tell('No active shell');
    else this.toWorker({ type: 'replay-credentials', sid: this.state.sid! });
  }

  private sessionClosed(reason: string, exitCode?: number, signal?: string): void {
    this.forgetSession();
    this.state.phase = 'gone';
    // The session's last output goes first; Engine.IO then flushes it all before closing.
    this.streams.inOrder(() => {
      this.socket.emit('session:closed', { reason, ...(exitCode !== undefined && { exitCode }), ...(signal !== undefined && { signal }) });
      this.socket.emit('ssherror', 'Connection closed');
      this.socket.disconnect(true);
    });
  }

  /**
   * A socket must log in or resume within FLEET_AUTH_TIMEOUT_MS. Time spent
   * logging in does not count (the login has its own deadline): the clock
   * starts again when a login or resume that was under way ends without a session.
   */
  private readonly authTimedOut = (): void => {
    const { phase } = this.state;
    if (phase === 'live' || phase === 'gone') return;
    if (phase !== 'awaiting-auth') {
      this.authTimer = setTimeout(this.authTimedOut, this.parts.settings.limits.authTimeoutMs);
      return;
    }
    this.parts.metrics.limitHit('auth-timeout');
    this.complaints.info({ event: 'auth-timeout' }, 'socket closed: no login');
    this.socket.emit('ssherror', `No login within ${Math.round(this.parts.settings.limits.authTimeoutMs / 1000)} s: connection closed`);
    this.socket.disconnect(true);
  };

  private disconnected(reason: string): void {
    clearTimeout(this.authTimer);
    this.login.abandon();
    const { sid, phase } = this.state;
    if (sid && phase === 'placing') {
      void this.parts.placement.withdraw(sid).catch(() => false);
      void this.parts.store.remove(sid).catch(() => undefined);
    } else if (sid && (phase === 'logging-in' || phase === 'live' || phase === 'resuming')) {
      // The client said goodbye: end the session. The connection dropped:
      // keep the session for a resume.
      const intentional = reason === 'client namespace disconnect';
      const ends = intentional ? phase !== 'resuming' : phase === 'logging-in';
      this.toWorker(ends ? { type: 'close', sid, reason: 'client disconnected' } : { type: 'detach', sid });
      if (phase === 'resuming') this.routes.abandonResume(sid, this, 'unknown');
    }
    // Also stops a login still being admitted from going ahead.
    if (sid) this.log.info({ sid, reason }, 'socket disconnected');
    this.forgetSession();
    this.streams.close();
    this.state.phase = 'gone';
  }
}
