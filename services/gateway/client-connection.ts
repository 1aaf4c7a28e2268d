/**
 * One browser socket on this gateway: the WebSSH2 conversation on one side,
 * bus messages to and from the session's worker on the other. It holds no
 * SSH connection and nothing that a resume could not rebuild.
 *
 * Life of a session here:  awaiting-auth -> placing -> logging-in -> live -> (gone)
 *                          awaiting-auth -> resuming -> live -> (gone)
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io';
import type { z } from 'zod';
import type { Bus } from '../../shared/bus/bus.js';
import type { HostKeyNotice, InboxAddress, ToGateway, ToWorker } from '../../shared/bus/messages.js';
import type { Config } from '../../shared/config/schema.js';
import type { CredentialHandoff } from '../../shared/credential-handoff/credential-handoff.js';
import type { SealedBox } from '../../shared/crypto/sealed-box.js';
import { newResumeToken, type ResumeTokenHasher } from '../../shared/crypto/resume-token.js';
import type { Logger } from '../../shared/log/logger.js';
import type { PlacementQueue } from '../../shared/placement/placement.js';
import type {
  ClientToServerEvents,
  PromptMessage,
  ResumeFailureReason,
  ServerToClientEvents,
  UntrustedEvents,
} from '../../shared/protocol/events.js';
import {
  authenticatePayload,
  controlPayload,
  dataPayload,
  execPayload,
  hostKeyVerifyResponsePayload,
  promptResponsePayload,
  resizePayload,
  sessionAckPayload,
  sessionResumePayload,
  terminalPayload,
  type AuthenticatePayload,
  type PromptResponse,
} from '../../shared/protocol/inbound.js';
import type { SessionStore } from '../../shared/session-store/session-store.js';
import type { AbuseLimits } from './abuse-limits.js';
import type { GatewayMetrics } from './metrics.js';
import { OutputAcks } from './output-acks.js';
import { parseInbound } from './validation.js';
import { WorkerOutbox } from './worker-outbox.js';

export type BrowserSocket = Socket<UntrustedEvents<ClientToServerEvents>, ServerToClientEvents>;

export type GatewaySettings = Pick<Config, 'ssh' | 'options' | 'session' | 'flow' | 'http' | 'limits'> & {
  cluster: Pick<Config['cluster'], 'placementTimeoutMs' | 'heartbeatIntervalMs'>;
};

export interface GatewayParts {
  settings: GatewaySettings;
  bus: Bus<ToWorker>;
  store: SessionStore;
  placement: PlacementQueue;
  /** Credentials left by an HTTP login route for the socket that follows. */
  handoff: CredentialHandoff;
  limits: AbuseLimits;
  credentialsBox: SealedBox;
  tokenHasher: ResumeTokenHasher;
  log: Logger;
  metrics: GatewayMetrics;
}

/** What the socket's handshake told about its client. */
export interface SocketArrival {
  /** The browser's address (X-Forwarded-For when the peer is a trusted proxy). */
  clientAddress: string;
  /** The hand-off cookie, if an HTTP login route left credentials. */
  handoffId?: string;
}

/** Where a connection's session traffic is registered, by session id. */
export interface SessionRoutes {
  register(sid: string, connection: ClientConnection): void;
  unregister(sid: string, connection: ClientConnection): void;
}

type Phase = 'awaiting-auth' | 'placing' | 'logging-in' | 'resuming' | 'live' | 'gone';

/** How long a resume waits for the session's worker to answer. */
const RESUME_ANSWER_TIMEOUT_MS = 5_000;


interface Target {
  username: string;
  host: string;
  port: number;
}

const KNOWN_EVENTS = new Set<string>([
  'authenticate', 'terminal', 'data', 'resize', 'control', 'prompt-response', 'exec', 'session:ack', 'session:resume',
  'hostkey:verify-response',
]);

export class ClientConnection {
  private phase: Phase = 'awaiting-auth';
  private sid: string | undefined;
  private target: Target | undefined;
  private pendingPrompt: PromptMessage | undefined;
  /** The worker asked the client about an unknown host key and waits for the answer. */
  private hostKeyAsked = false;
  /** Handed to the client once, in `session:info`; only its hash is stored. */
  private resumeToken = '';
  /** The hash of the session's current resume token. */
  private tokenHash = '';
  /** While resuming: the token hash to restore if the worker refuses. */
  private replacedTokenHash: string | undefined;
  private resumeTimer: NodeJS.Timeout | undefined;
  private placementTimer: NodeJS.Timeout | undefined;
  private readonly outbox: WorkerOutbox;
  private readonly acks: OutputAcks;
  private readonly log: Logger;
  /** Settles once the socket's credentials are known: handed off over HTTP, or to be asked for. */
  private readonly started: Promise<void>;
  /** Set when the socket came from `/ssh/host/:host`: every login on it must go there. */
  private lockedTarget: { host: string; port: number } | undefined;

  constructor(
    private readonly socket: BrowserSocket,
    private readonly parts: GatewayParts,
    private readonly routes: SessionRoutes,
    private readonly arrival: SocketArrival,
  ) {
    this.log = parts.log.child({ socket: socket.id, client: arrival.clientAddress });
    this.outbox = new WorkerOutbox(parts.bus, this.log);
    this.acks = new OutputAcks(parts.settings.flow.lowWaterBytes, () => socket.conn.transport, (offset) => {
      if (this.phase === 'live' && this.sid) this.toWorker({ type: 'ack', sid: this.sid, offset });
    });
    this.listen();
    this.started = this.start(arrival.handoffId);
  }

  /**
   * Logs in with credentials an HTTP login route handed off (WebSSH2's
   * Basic-auth and POST routes), or asks the client for them.
   */
  private async start(handoffId: string | undefined): Promise<void> {
    const grant = handoffId
      ? await this.parts.handoff.take(handoffId).catch((error: Error) => {
          this.log.warn({ err: error.message }, 'could not take the handed-off credentials');
          return undefined;
        })
      : undefined;
    if (this.phase === 'gone') return;
    if (grant) {
      this.log.info({ event: 'handoff-taken', hostLocked: grant.hostLocked }, 'credentials handed off by an HTTP login route');
      const { credentials } = grant;
      if (grant.hostLocked) this.lockedTarget = { host: credentials.host, port: credentials.port ?? this.parts.settings.ssh.port };
      await this.place(credentials);
    } else {
      this.socket.emit('authentication', { action: 'request_auth' });
    }
  }

  /** A bus message for this connection's session. */
  deliver(message: ToGateway): void {
    switch (message.type) {
      case 'claimed':
        this.outbox.reset(message.worker);
        this.phase = 'logging-in';
        clearTimeout(this.placementTimer);
        return;
      case 'prompt':
        this.pendingPrompt = message.prompt;
        this.socket.emit('prompt', message.prompt);
        return;
      case 'hostkey-verify':
        this.hostKeyAsked = true;
        this.socket.emit('hostkey:verify', message.request);
        return;
      case 'hostkey-notice':
        return this.relayHostKeyNotice(message.notice);
      case 'auth-result':
        this.countLoginOutcome(message.success, message.credentialsRejected === true);
        return message.success ? this.loggedIn() : this.loginFailed(message.message ?? 'Authentication failed');
      case 'output':
        return this.emitOutput(message.data);
      case 'exec-data':
        if (message.message.type === 'stdout') this.socket.emit('data', message.message.data);
        this.socket.emit('exec-data', message.message);
        return;
      case 'exec-exit':
        this.socket.emit('exec-exit', message.message);
        return;
      case 'ssherror':
        this.socket.emit('ssherror', message.message);
        return;
      case 'ui':
        this.socket.emit('updateUI', message.update);
        return;
      case 'closed':
        this.sessionClosed(message.reason, message.exitCode, message.signal);
        return;
      case 'attached':
        return this.resumed(message.offset, message.inputOffset);
      case 'attach-failed':
        return void this.resumeFailed(message.reason, message.message);
      case 'detached':
        this.socket.emit('session:detached', { reason: message.reason });
        this.log.info({ sid: message.sid, event: 'session-taken-over' }, 'another socket took the session over');
        this.forgetSession();
        this.phase = 'gone';
        this.socket.disconnect(true);
        return;
    }
  }

  private get gatewayAddress(): `gw:${string}` {
    return this.parts.bus.address as `gw:${string}`;
  }

  /** The worker this connection's session lives on, if any. */
  get workerAddress(): InboxAddress | undefined {
    return this.phase === 'gone' ? undefined : this.outbox.address;
  }

  /** The session's worker died: the session is gone for good. */
  workerLost(): void {
    if (this.phase === 'logging-in') this.loginFailed('The SSH worker stopped during login; try again');
    else if (this.phase === 'resuming') void this.resumeFailed('expired', 'The SSH worker for this session stopped unexpectedly');
    else if (this.phase === 'live') this.sessionClosed('The SSH worker for this session stopped unexpectedly');
  }

  /**
   * This gateway's inbox had to be recreated (Redis lost it): whatever the
   * worker sent meanwhile is gone, so ask it to carry on from what this
   * socket has actually received.
   */
  reattach(): void {
    if (this.phase !== 'live' || !this.sid) return;
    this.toWorker({ type: 'attach', sid: this.sid, offset: this.acks.offset, tokenHash: this.tokenHash });
  }

  /**
   * This gateway is going away: the session stays on its worker, and the
   * client is told to resume elsewhere.
   */
  shutdown(): void {
    const sid = this.sid;
    if (sid && this.phase === 'live') {
      this.socket.emit('session:detached', { reason: 'gateway-shutdown' });
      this.toWorker({ type: 'detach', sid });
    } else if (sid && (this.phase === 'logging-in' || this.phase === 'resuming')) {
      this.toWorker(this.phase === 'resuming' ? { type: 'detach', sid } : { type: 'close', sid, reason: 'gateway shut down during login' });
    } else if (sid && this.phase === 'placing') {
      void this.parts.placement.withdraw(sid).catch(() => false);
    }
    this.forgetSession();
    this.phase = 'gone';
    this.socket.disconnect(true);
  }

  private listen(): void {
    const { socket } = this;
    socket.on('authenticate', (raw) => void this.authenticate(raw));
    socket.on('prompt-response', (raw) => this.promptResponse(raw));
    socket.on('hostkey:verify-response', (raw) => {
      const parsed = this.parse('hostkey:verify-response', hostKeyVerifyResponsePayload, raw);
      if (!parsed) return;
      if (!this.hostKeyAsked || this.phase !== 'logging-in') {
        socket.emit('ssherror', 'No host key verification is waiting for an answer');
        return;
      }
      this.hostKeyAsked = false;
      this.toWorker({ type: 'hostkey-response', sid: this.sid!, action: parsed.action });
    });
    socket.on('terminal', (raw) => {
      const parsed = this.parse('terminal', terminalPayload, raw);
      if (parsed && this.phase === 'live') this.toWorker({ type: 'terminal', sid: this.sid!, cols: parsed.cols, rows: parsed.rows });
    });
    socket.on('data', (raw) => {
      const parsed = this.parse('data', dataPayload, raw);
      if (parsed !== undefined && this.phase === 'live') this.toWorker({ type: 'input', sid: this.sid!, data: Buffer.from(parsed, 'utf8') });
    });
    socket.on('resize', (raw) => {
      const parsed = this.parse('resize', resizePayload, raw);
      if (parsed && this.phase === 'live') this.toWorker({ type: 'resize', sid: this.sid!, ...parsed });
    });
    socket.on('control', (raw) => {
      const parsed = this.parse('control', controlPayload, raw);
      if (parsed) this.control(parsed);
    });
    socket.on('exec', (raw) => {
      const parsed = this.parse('exec', execPayload, raw);
      if (!parsed) return;
      if (this.phase !== 'live') socket.emit('ssherror', 'No SSH connection');
      else this.toWorker({ type: 'exec', sid: this.sid!, request: parsed });
    });
    socket.on('session:resume', (raw) => void this.resume(raw));
    socket.on('session:ack', (raw) => {
      const parsed = this.parse('session:ack', sessionAckPayload, raw);
      if (parsed) this.clientAck(parsed.offset);
    });
    socket.onAny((event: string) => {
      if (KNOWN_EVENTS.has(event)) return;
      this.log.warn({ event }, 'unknown event from client');
      socket.emit('ssherror', `Unsupported event: ${String(event).slice(0, 64)}`);
    });
    socket.on('disconnect', (reason) => this.disconnected(reason));
  }

  /**
   * Parses one inbound payload; on failure tells the client and logs, and
   * returns undefined so the handler stops.
   */
  private parse<S extends z.ZodType>(event: string, schema: S, raw: unknown): z.output<S> | undefined {
    const parsed = parseInbound(schema, raw);
    if (parsed.ok) return parsed.value;
    this.log.warn({ event, problem: parsed.problem }, 'invalid event payload');
    this.socket.emit('ssherror', `Invalid ${event} payload: ${parsed.problem}`);
    return undefined;
  }

  private async authenticate(raw: unknown): Promise<void> {
    await this.started;
    if (this.phase !== 'awaiting-auth') {
      this.socket.emit('ssherror', this.phase === 'live' ? 'Already authenticated' : 'Authentication already in progress');
      return;
    }
    const parsed = parseInbound(authenticatePayload, raw);
    if (!parsed.ok) {
      this.log.warn({ event: 'authenticate', problem: parsed.problem }, 'invalid event payload');
      this.socket.emit('authentication', { action: 'auth_result', success: false, message: `Invalid credentials: ${parsed.problem}` });
      return;
    }
    const locked = this.lockedTarget;
    if (locked && (parsed.value.host !== locked.host || (parsed.value.port ?? this.parts.settings.ssh.port) !== locked.port)) {
      this.log.warn({ event: 'login-refused', target: `${parsed.value.host}:${parsed.value.port}`, locked: `${locked.host}:${locked.port}` }, 'login outside the host lock');
      this.socket.emit('authentication', { action: 'auth_result', success: false, message: `This session is locked to ${locked.host}:${locked.port}` });
      return;
    }
    await this.place(parsed.value);
  }

  private async place(credentials: AuthenticatePayload): Promise<void> {
    const { settings, store, placement, credentialsBox, tokenHasher } = this.parts;
    const sid = randomUUID();
    const target = { username: credentials.username, host: credentials.host, port: credentials.port ?? settings.ssh.port };
    this.phase = 'placing';
    const refusal = await this.parts.limits.admitLogin(this.arrival.clientAddress, target).catch((error: Error) => {
      // The limits are a guard, not a dependency: a Redis hiccup must not stop logins.
      this.log.warn({ err: error.message }, 'could not check the login limits; admitting');
      return undefined;
    });
    if (this.phase !== 'placing') return;
    if (refusal) {
      this.log.warn({ event: 'login-refused', user: target.username, target: `${target.host}:${target.port}`, why: refusal }, 'login refused by a limit');
      this.parts.metrics.loginFinished(false);
      this.parts.metrics.limitHit('login');
      this.phase = 'awaiting-auth';
      this.socket.emit('authentication', { action: 'auth_result', success: false, message: refusal });
      return;
    }
    this.sid = sid;
    this.target = target;
    this.resumeToken = newResumeToken();
    this.routes.register(sid, this);
    this.log.info({ event: 'login-requested', sid, user: target.username, target: `${target.host}:${target.port}` }, 'login requested');

    const sealed = credentialsBox.seal(
      JSON.stringify({ password: credentials.password, privateKey: credentials.privateKey, passphrase: credentials.passphrase }),
      sid,
    );
    const timeoutMs = settings.cluster.placementTimeoutMs;
    const tokenHash = tokenHasher.hash(this.resumeToken);
    this.tokenHash = tokenHash;
    try {
      await store.create({ sid, gateway: this.gatewayAddress, tokenHash, ...target }, timeoutMs + settings.ssh.readyTimeoutMs);
      await placement.enqueue({
        sid,
        gateway: this.gatewayAddress,
        ...target,
        term: credentials.term ?? settings.ssh.term,
        cols: credentials.cols ?? 80,
        rows: credentials.rows ?? 24,
        forwardAllPrompts: credentials.forwardAllKeyboardInteractivePrompts ?? false,
        sealedCredentials: sealed,
        tokenHash,
        enqueuedAt: Date.now(),
        deadline: Date.now() + timeoutMs,
      });
    } catch (error) {
      this.log.error({ sid, err: (error as Error).message }, 'could not queue the session');
      this.loginFailed('The gateway could not reach its session queue; try again shortly');
      return;
    }
    this.placementTimer = setTimeout(() => void this.placementTimedOut(sid), timeoutMs);
  }

  private async placementTimedOut(sid: string): Promise<void> {
    if (this.sid !== sid || this.phase !== 'placing') return;
    await this.parts.placement.withdraw(sid).catch(() => false);
    await this.parts.store.remove(sid).catch(() => undefined);
    this.log.warn({ sid }, 'no worker took the session in time');
    this.loginFailed('No SSH worker is available right now; try again shortly');
  }

  /**
   * session-extension.md: re-attach to a live session by id, token and
   * offset, through any gateway. The token is checked here in constant time,
   * rotated compare-and-set (of two racing resumes one wins), and the owner
   * worker re-sends output from the client's offset.
   */
  private async resume(raw: unknown): Promise<void> {
    await this.started;
    if (this.phase !== 'awaiting-auth') {
      this.socket.emit('ssherror', 'This socket already carries a session');
      return;
    }
    const request = this.parse('session:resume', sessionResumePayload, raw);
    if (!request) return;
    const { store, tokenHasher } = this.parts;
    const sid = request.sessionId;
    const refuse = (reason: ResumeFailureReason, message: string) => {
      this.parts.metrics.resumeFinished(reason);
      this.log.info({ event: 'resume-failed', sid, reason }, 'resume refused');
      this.socket.emit('session:resume-failed', { reason, message });
    };
    this.phase = 'resuming';
    try {
      const found = await store.lookup(sid);
      if (found.status === 'unknown') return refuse('unknown', 'No such session');
      if (found.status === 'ended') return refuse('expired', `The session has ended: ${found.reason}`);
      if (found.status === 'pending') return refuse('busy', 'The session is still logging in');
      if (!tokenHasher.matches(request.resumeToken, found.tokenHash)) return refuse('forbidden', 'The resume token is not valid for this session');
      const token = newResumeToken();
      const tokenHash = tokenHasher.hash(token);
      const rotated = await store.rotateToken(sid, found.tokenHash, tokenHash, this.gatewayAddress);
      if (rotated === 'gone') return refuse('expired', 'The session has ended');
      if (rotated === 'changed') return refuse('busy', 'Another resume of this session is in progress');
      this.sid = sid;
      this.outbox.reset(found.owner);
      this.resumeToken = token;
      this.tokenHash = tokenHash;
      this.replacedTokenHash = found.tokenHash;
      this.routes.register(sid, this);
      this.resumeTimer = setTimeout(() => void this.resumeFailed('busy', "The session's worker did not answer in time"), RESUME_ANSWER_TIMEOUT_MS);
      this.toWorker({ type: 'attach', sid, offset: request.offset, tokenHash });
    } catch (error) {
      this.log.warn({ sid, err: (error as Error).message }, 'resume failed on the session store');
      refuse('busy', 'The session directory is unreachable; try again');
    } finally {
      if (this.phase === 'resuming' && this.sid !== sid) this.phase = 'awaiting-auth';
    }
  }

  private resumed(offset: number, inputOffset: number): void {
    if (this.phase !== 'resuming') return;
    clearTimeout(this.resumeTimer);
    this.phase = 'live';
    this.replacedTokenHash = undefined;
    this.acks.restart(offset);
    this.socket.emit('session:resumed', { offset, inputOffset });
    this.announceSession();
    this.parts.metrics.resumeFinished('resumed');
    this.log.info({ event: 'session-resumed', sid: this.sid, offset, inputOffset }, 'session resumed');
  }

  /** The worker refused (or never answered): put the old token back and tell the client. */
  private async resumeFailed(reason: ResumeFailureReason, message: string): Promise<void> {
    if (this.phase !== 'resuming') return;
    clearTimeout(this.resumeTimer);
    const sid = this.sid!;
    const replaced = this.replacedTokenHash;
    this.forgetSession();
    this.phase = 'awaiting-auth';
    if (replaced) {
      await this.parts.store
        .rotateToken(sid, this.tokenHash, replaced, this.gatewayAddress)
        .catch(() => undefined);
    }
    this.resumeToken = '';
    this.parts.metrics.resumeFinished(reason);
    this.log.info({ event: 'resume-failed', sid, reason }, 'resume refused');
    this.socket.emit('session:resume-failed', { reason, message });
  }

  private promptResponse(raw: unknown): void {
    const parsed = this.parse('prompt-response', promptResponsePayload, raw);
    if (!parsed) return;
    const prompt = this.pendingPrompt;
    if (!prompt || this.phase !== 'logging-in') {
      this.socket.emit('ssherror', 'No login prompt is waiting for an answer');
      return;
    }
    this.pendingPrompt = undefined;
    const answers = answersFor(prompt, parsed);
    const sealedAnswers = answers === null ? null : this.parts.credentialsBox.seal(JSON.stringify(answers), this.sid!);
    this.toWorker({ type: 'prompt-response', sid: this.sid!, promptId: prompt.id, sealedAnswers });
  }

  /** The worker's word on the host key, as WebSSH2's `hostkey:*` events. */
  private relayHostKeyNotice(notice: HostKeyNotice): void {
    switch (notice.event) {
      case 'hostkey:verified':
        return void this.socket.emit(notice.event, notice.payload);
      case 'hostkey:mismatch':
        return void this.socket.emit(notice.event, notice.payload);
      case 'hostkey:alert':
        return void this.socket.emit(notice.event, notice.payload);
      case 'hostkey:rejected':
        return void this.socket.emit(notice.event, notice.payload);
    }
  }

  private loggedIn(): void {
    const { settings } = this.parts;
    const target = this.target!;
    this.phase = 'live';
    this.pendingPrompt = undefined;
    this.parts.metrics.loginFinished(true);
    this.socket.emit('authentication', { action: 'auth_result', success: true });
    this.announceSession();
    this.socket.emit('permissions', { ...permissionsOf(settings.options) });
    this.socket.emit('getTerminal', true);
    this.socket.emit('updateUI', { element: 'footer', value: `ssh://${target.host}:${target.port}` });
    this.socket.emit('updateUI', { element: 'status', value: 'Connected' });
  }

  /**
   * Feeds the limits: refused credentials count against the target (a host
   * that is down or not permitted says nothing about a password), a success
   * as a session from this client.
   */
  private countLoginOutcome(success: boolean, credentialsRejected: boolean): void {
    const { limits } = this.parts;
    const counted = success
      ? limits.sessionStarted(this.arrival.clientAddress)
      : credentialsRejected && this.target
        ? limits.loginFailed(this.target)
        : undefined;
    counted?.catch((error: Error) => this.log.warn({ err: error.message }, 'could not count the login outcome'));
  }

  /** session:info with the current resume token, which this gateway then forgets. */
  private announceSession(): void {
    const { session } = this.parts.settings;
    this.socket.emit('session:info', {
      sessionId: this.sid!,
      resumeToken: this.resumeToken,
      detachTimeoutMs: session.detachTimeoutMs,
      replayBytes: session.replayBytes,
    });
    this.resumeToken = '';
  }

  private loginFailed(message: string): void {
    clearTimeout(this.placementTimer);
    this.parts.metrics.loginFinished(false);
    this.socket.emit('authentication', { action: 'auth_result', success: false, message });
    this.forgetSession();
    this.phase = 'awaiting-auth';
  }

  private sessionClosed(reason: string, exitCode?: number, signal?: string): void {
    this.socket.emit('session:closed', { reason, ...(exitCode !== undefined && { exitCode }), ...(signal !== undefined && { signal }) });
    this.socket.emit('ssherror', 'Connection closed');
    this.forgetSession();
    this.phase = 'gone';
    this.socket.disconnect(true);
  }

  private control(action: 'replayCredentials' | 'reauth'): void {
    const { options } = this.parts.settings;
    if (action === 'reauth') {
      if (!options.allowReauth) this.socket.emit('ssherror', 'Re-authentication not permitted');
      else this.socket.emit('authentication', { action: 'reauth' });
      return;
    }
    if (!options.allowReplay) this.socket.emit('ssherror', 'Credential replay not permitted');
    else if (this.phase !== 'live') this.socket.emit('ssherror', 'No active shell');
    else this.toWorker({ type: 'replay-credentials', sid: this.sid! });
  }

  private emitOutput(data: Buffer): void {
    this.socket.emit('data', data);
    this.parts.metrics.outputSent(data.length);
    this.acks.emitted(data.length);
  }

  private clientAck(offset: number): void {
    if (!this.acks.fromClient(offset)) this.socket.emit('ssherror', 'session:ack offset is ahead of the output sent');
  }

  private disconnected(reason: string): void {
    clearTimeout(this.placementTimer);
    const sid = this.sid;
    if (!sid) {
      // Also stops a login still being admitted from going ahead.
      this.phase = 'gone';
      return;
    }
    if (this.phase === 'placing') {
      void this.parts.placement.withdraw(sid).catch(() => false);
      void this.parts.store.remove(sid).catch(() => undefined);
    } else if (this.phase === 'logging-in' || this.phase === 'live' || this.phase === 'resuming') {
      // The client said goodbye: end the session. The connection dropped:
      // keep the session for a resume.
      const intentional = reason === 'client namespace disconnect';
      const ends = intentional ? this.phase !== 'resuming' : this.phase === 'logging-in';
      this.toWorker(ends ? { type: 'close', sid, reason: 'client disconnected' } : { type: 'detach', sid });
    }
    this.log.info({ sid, reason }, 'socket disconnected');
    this.forgetSession();
    this.phase = 'gone';
  }

  private forgetSession(): void {
    if (this.sid) this.routes.unregister(this.sid, this);
    clearTimeout(this.resumeTimer);
    this.outbox.reset();
    this.sid = undefined;
    this.pendingPrompt = undefined;
    this.hostKeyAsked = false;
    this.replacedTokenHash = undefined;
    this.acks.restart(0);
  }

  private toWorker(message: ToWorker): void {
    this.outbox.post(message);
  }
}

function permissionsOf(options: GatewaySettings['options']) {
  return {
    autoLog: options.autoLog,
    allowReplay: options.allowReplay,
    allowReconnect: options.allowReconnect,
    allowReauth: options.allowReauth,
  };
}

/** The answers in the prompt's field order, or null when the user backed out. */
function answersFor(prompt: PromptMessage, response: PromptResponse): string[] | null {
  if (Array.isArray(response)) return response;
  if ('responses' in response) return response.responses;
  if (response.action !== 'submit') return null;
  return prompt.inputs.map((field) => response.inputs?.[field.id] ?? '');
}
