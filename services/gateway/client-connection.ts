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
import type { OwnershipProofs } from '../../shared/crypto/ownership-proof.js';
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
import { InputWindow } from './input-window.js';
import { LogBudget } from './log-budget.js';
import { OutputAcks } from './output-acks.js';
import { Receipts } from './receipts.js';
import { SocketWriter } from './socket-writer.js';
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
  /** Checks who owns a session, and signs this gateway's claims to carry one. */
  proofs: OwnershipProofs;
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
  /**
   * A resume of `sid` starts on this connection: the worker's answer comes
   * to it, and a connection of this gateway that carries the session now is
   * held (it sends nothing on) until the resume ends. False when another
   * resume of the session is under way here.
   */
  beginResume(sid: string, connection: ClientConnection): boolean;
  /** The worker attached the session to `connection`, which carries it from now on. */
  completeResume(sid: string, connection: ClientConnection): void;
  /**
   * The resume ended without an attach. `refused`: the worker said no, and a
   * connection that carried the session goes on. `unknown` (no answer, or the
   * socket left): the session is detached, and such a connection taken over.
   */
  abandonResume(sid: string, connection: ClientConnection, outcome: 'refused' | 'unknown'): void;
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
  private resumeTimer: NodeJS.Timeout | undefined;
  private placementTimer: NodeJS.Timeout | undefined;
  private readonly outbox: WorkerOutbox;
  private readonly writer: SocketWriter;
  private readonly receipts: Receipts;
  private readonly acks: OutputAcks;
  private readonly input: InputWindow;
  /** The client was told its input is being dropped; told again only after the window has reopened. */
  private inputRefusalTold = false;
  private readonly log: Logger;
  /** Lines about this client's misbehaviour, which it could otherwise make as many of as it likes. */
  private readonly complaints: LogBudget;
  private unknownEventSeen = false;
  /** Settles once the socket's credentials are known: handed off over HTTP, or to be asked for. */
  private readonly started: Promise<void>;
  /** The login holding one of this client's in-flight slots (limits), until it is over. */
  private loginSlot: string | undefined;
  /** Closes a socket that never gets a session (FLEET_AUTH_TIMEOUT_MS). */
  private authTimer: NodeJS.Timeout | undefined;
  /** Set when the socket came from `/ssh/host/:host`: every login on it must go there. */
  private lockedTarget: { host: string; port: number } | undefined;

  constructor(
    private readonly socket: BrowserSocket,
    private readonly parts: GatewayParts,
    private readonly routes: SessionRoutes,
    private readonly arrival: SocketArrival,
  ) {
    this.log = parts.log.child({ socket: socket.id, client: arrival.clientAddress });
    this.complaints = new LogBudget(this.log);
    this.outbox = new WorkerOutbox(parts.bus, this.log);
    this.acks = new OutputAcks(parts.settings.flow.lowWaterBytes, () => this.writer.outputOffset, (ack) => {
      if (this.phase === 'live' && this.sid) this.toWorker({ ...ack, sid: this.sid });
    });
    this.writer = new SocketWriter(socket, (delivered) => this.acks.written(delivered));
    this.receipts = new Receipts(socket.conn);
    this.input = new InputWindow(parts.settings.flow.inputWindowBytes, {
      paused: (inputOffset) => socket.emit('session:input-paused', { inputOffset }),
      resumed: (inputOffset) => {
        this.inputRefusalTold = false;
        socket.emit('session:input-resumed', { inputOffset });
      },
    });
    this.listen();
    this.authTimer = setTimeout(this.authTimedOut, parts.settings.limits.authTimeoutMs);
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
        if (!this.parts.proofs.ownerMatches(message.sid, message.worker, message.proof)) {
          // Not made with the cluster secret: someone wrote to this inbox who
          // should not. Nothing of this session goes there.
          this.log.error({ sid: message.sid, worker: message.worker, event: 'forged-claim' }, 'claim without a valid proof ignored');
          return;
        }
        if (this.phase !== 'placing') return;
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
        if (message.success) this.countSession();
        return message.success ? this.loggedIn() : this.loginFailed(message.message ?? 'Authentication failed');
      case 'output':
        return this.emitOutput(message.data);
      case 'exec-data':
        return this.writer.exec(message.message, message.bytes);
      case 'input-ack':
        return this.input.takenUpTo(message.offset);
      // After the output the worker sent before them, even if the socket holds some of it still.
      case 'exec-exit':
        return this.writer.inOrder(() => this.socket.emit('exec-exit', message.message));
      case 'ssherror':
        return this.writer.inOrder(() => this.socket.emit('ssherror', message.message));
      case 'ui':
        return this.writer.inOrder(() => this.socket.emit('updateUI', message.update));
      case 'closed':
        this.sessionClosed(message.reason, message.exitCode, message.signal);
        return;
      case 'attached':
        return this.resumed(message.offset, message.inputOffset, message.inputTaken);
      case 'attach-failed':
        return this.resumeFailed(message.reason, message.message, 'refused');
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
    if (this.phase === 'gone') return;
    this.socket.emit('session:detached', { reason: 'taken-over' });
    this.log.info({ sid: this.sid, event: 'session-taken-over' }, 'another socket took the session over');
    this.forgetSession();
    this.phase = 'gone';
    this.socket.disconnect(true);
  }

  private get gatewayAddress(): `gw:${string}` {
    return this.parts.bus.address as `gw:${string}`;
  }

  /** Another socket of this gateway is resuming the session: send nothing on until it is decided. */
  hold(): void {
    this.outbox.hold();
  }

  /** That resume was refused: this socket still carries the session. */
  release(): void {
    this.outbox.release();
  }

  /** The worker this connection's session lives on, if any. */
  get workerAddress(): InboxAddress | undefined {
    return this.phase === 'gone' ? undefined : this.outbox.address;
  }

  /** The session's worker died: the session is gone for good. */
  workerLost(): void {
    if (this.phase === 'logging-in') this.loginFailed('The SSH worker stopped during login; try again');
    else if (this.phase === 'resuming') this.resumeFailed('expired', 'The SSH worker for this session stopped unexpectedly', 'unknown');
    else if (this.phase === 'live') this.sessionClosed('The SSH worker for this session stopped unexpectedly');
  }

  /**
   * This gateway's inbox had to be recreated (Redis lost it): whatever the
   * worker sent meanwhile is gone, so ask it to carry on from what this
   * socket has actually received.
   */
  reattach(): void {
    if (this.phase !== 'live' || !this.sid) return;
    this.toWorker(this.attachMessage(this.sid, this.writer.outputOffset));
  }

  /** An attach signed for this gateway: only the cluster's own gateways can make one. */
  private attachMessage(sid: string, offset: number): ToWorker {
    return { type: 'attach', ...this.parts.proofs.attach({ sid, gateway: this.gatewayAddress, offset, tokenHash: this.tokenHash }) };
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
        this.tell('No host key verification is waiting for an answer');
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
      if (parsed !== undefined) this.typed(parsed);
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
      if (this.phase !== 'live') this.tell('No SSH connection');
      else this.toWorker({ type: 'exec', sid: this.sid!, request: parsed });
    });
    socket.on('session:resume', (raw) => void this.resume(raw));
    socket.on('session:ack', (raw) => {
      const parsed = this.parse('session:ack', sessionAckPayload, raw);
      if (parsed) this.clientAck(parsed.offset);
    });
    socket.onAny((event: unknown) => {
      if (typeof event === 'string' && KNOWN_EVENTS.has(event)) return;
      // An event name can be as long as a message may be: only its start is repeated, and never its payload.
      const name = String(event).slice(0, 64);
      if (!this.unknownEventSeen) {
        this.unknownEventSeen = true;
        this.complaints.warn({ event: name }, 'unknown event from client (further ones from this socket are not logged)');
      }
      this.tell(`Unsupported event: ${name}`);
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
    this.complaints.warn({ event, problem: parsed.problem }, 'invalid event payload');
    this.tell(`Invalid ${event} payload: ${parsed.problem}`);
    return undefined;
  }

  private async authenticate(raw: unknown): Promise<void> {
    await this.started;
    if (this.phase !== 'awaiting-auth') {
      this.tell(this.phase === 'live' ? 'Already authenticated' : 'Authentication already in progress');
      return;
    }
    const parsed = parseInbound(authenticatePayload, raw);
    if (!parsed.ok) {
      this.complaints.warn({ event: 'authenticate', problem: parsed.problem }, 'invalid event payload');
      this.answer(() => this.socket.emit('authentication', { action: 'auth_result', success: false, message: `Invalid credentials: ${parsed.problem}` }));
      return;
    }
    const locked = this.lockedTarget;
    if (locked && (parsed.value.host !== locked.host || (parsed.value.port ?? this.parts.settings.ssh.port) !== locked.port)) {
      this.complaints.warn({ event: 'login-refused', target: `${parsed.value.host}:${parsed.value.port}`, locked: `${locked.host}:${locked.port}` }, 'login outside the host lock');
      this.answer(() => this.socket.emit('authentication', { action: 'auth_result', success: false, message: `This session is locked to ${locked.host}:${locked.port}` }));
      return;
    }
    await this.place(parsed.value);
  }

  private async place(credentials: AuthenticatePayload): Promise<void> {
    const { settings, store, placement, credentialsBox, tokenHasher } = this.parts;
    const sid = randomUUID();
    const target = { username: credentials.username, host: credentials.host, port: credentials.port ?? settings.ssh.port };
    this.phase = 'placing';
    const refusal = await this.parts.limits.admitLogin(this.arrival.clientAddress, sid).catch((error: Error) => {
      // The limits are a guard, not a dependency: a Redis hiccup must not stop logins.
      this.log.warn({ err: error.message }, 'could not check the login limits; admitting');
      return undefined;
    });
    if (!refusal) this.loginSlot = sid;
    if (this.phase !== 'placing') return this.endLoginSlot();
    if (refusal) {
      this.complaints.warn({ event: 'login-refused', user: target.username, target: `${target.host}:${target.port}`, why: refusal }, 'login refused by a limit');
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
    const tokenHash = tokenHasher.hash(sid, this.resumeToken);
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
      this.tell('This socket already carries a session');
      return;
    }
    const request = this.parse('session:resume', sessionResumePayload, raw);
    if (!request) return;
    const { store, tokenHasher, proofs } = this.parts;
    const sid = request.sessionId;
    const refuse = (reason: ResumeFailureReason, message: string) => {
      this.parts.metrics.resumeFinished(reason);
      this.complaints.info({ event: 'resume-failed', sid, reason }, 'resume refused');
      this.answer(() => this.socket.emit('session:resume-failed', { reason, message }));
    };
    this.phase = 'resuming';
    try {
      const found = await store.lookup(sid);
      if (this.phase !== 'resuming') return; // the socket went meanwhile
      if (found.status === 'unknown') return refuse('unknown', 'No such session');
      if (found.status === 'ended') return refuse('expired', `The session has ended: ${found.reason}`);
      if (found.status === 'pending') return refuse('busy', 'The session is still logging in');
      // The newest token, or the one it replaced while the client has not shown it got the newest.
      const presented = [found.tokenHash, found.priorTokenHash].find((hash) => hash !== undefined && tokenHasher.matches(sid, request.resumeToken, hash));
      if (!presented) return refuse('forbidden', 'The resume token is not valid for this session');
      if (!proofs.ownerMatches(sid, found.owner, found.ownerProof)) {
        this.log.error({ sid, owner: found.owner, event: 'forged-owner' }, "the session record's owner has no valid proof: refusing to send anything there");
        return refuse('forbidden', 'The session record failed its integrity check');
      }
      const token = newResumeToken();
      const tokenHash = tokenHasher.hash(sid, token);
      const rotated = await store.rotateToken(sid, presented, tokenHash, this.gatewayAddress);
      if (rotated === 'gone') return refuse('expired', 'The session has ended');
      if (rotated === 'changed') return refuse('busy', 'Another resume of this session is in progress');
      // The socket went meanwhile: its client still holds the token it presented, which stays valid.
      if (this.phase !== 'resuming') return;
      if (!this.routes.beginResume(sid, this)) return refuse('busy', 'Another resume of this session is in progress');
      this.sid = sid;
      this.outbox.reset(found.owner);
      this.resumeToken = token;
      this.tokenHash = tokenHash;
      this.resumeTimer = setTimeout(() => this.resumeFailed('busy', "The session's worker did not answer in time", 'unknown'), RESUME_ANSWER_TIMEOUT_MS);
      this.toWorker(this.attachMessage(sid, request.offset));
    } catch (error) {
      this.log.warn({ sid, err: (error as Error).message }, 'resume failed on the session store');
      refuse('busy', 'The session directory is unreachable; try again');
    } finally {
      if (this.phase === 'resuming' && this.sid !== sid) this.phase = 'awaiting-auth';
    }
  }

  private resumed(offset: number, inputOffset: number, inputTaken: number): void {
    if (this.phase !== 'resuming') return;
    clearTimeout(this.resumeTimer);
    this.phase = 'live';
    this.routes.completeResume(this.sid!, this);
    this.startStreams(offset, inputOffset, inputTaken);
    this.socket.emit('session:resumed', { offset, inputOffset });
    this.announceSession();
    // The token this resume replaced stays valid until the client has shown
    // it holds the new one: a socket lost before that must not leave a
    // session with a token nobody holds.
    const { sid, tokenHash } = this;
    this.receipts.afterReceipt(() => {
      this.parts.store.confirmToken(sid!, tokenHash).catch((error: Error) => this.log.warn({ sid, err: error.message }, 'could not retire the prior resume token'));
    });
    this.parts.metrics.resumeFinished('resumed');
    this.log.info({ event: 'session-resumed', sid: this.sid, offset, inputOffset }, 'session resumed');
  }

  /** The worker refused (or never answered): put the old token back and tell the client. */
  private resumeFailed(reason: ResumeFailureReason, message: string, outcome: 'refused' | 'unknown'): void {
    if (this.phase !== 'resuming') return;
    clearTimeout(this.resumeTimer);
    const sid = this.sid!;
    // Without an answer the attach may still happen: the session must then
    // wait for the next resume (a worker carried by another gateway ignores
    // this), and the token the client presented still opens it.
    if (outcome === 'unknown') this.toWorker({ type: 'detach', sid });
    this.routes.abandonResume(sid, this, outcome);
    this.forgetSession();
    this.phase = 'awaiting-auth';
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
      this.tell('No login prompt is waiting for an answer');
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
    this.endLoginSlot();
    this.startStreams(0, 0, 0);
    this.parts.metrics.loginFinished(true);
    this.socket.emit('authentication', { action: 'auth_result', success: true });
    this.announceSession();
    this.socket.emit('permissions', { ...permissionsOf(settings.options) });
    this.socket.emit('getTerminal', true);
    this.socket.emit('updateUI', { element: 'footer', value: `ssh://${target.host}:${target.port}` });
    this.socket.emit('updateUI', { element: 'status', value: 'Connected' });
  }

  /** A login succeeded: it counts as a new session from this client. */
  private countSession(): void {
    this.parts.limits.sessionStarted(this.arrival.clientAddress).catch((error: Error) => this.log.warn({ err: error.message }, 'could not count the session'));
  }

  /**
   * A socket must log in or resume within FLEET_AUTH_TIMEOUT_MS. Time spent
   * logging in does not count (the login has its own deadline): the clock
   * starts again when a login or resume that was under way ends without a session.
   */
  private readonly authTimedOut = (): void => {
    if (this.phase === 'live' || this.phase === 'gone') return;
    if (this.phase !== 'awaiting-auth') {
      this.authTimer = setTimeout(this.authTimedOut, this.parts.settings.limits.authTimeoutMs);
      return;
    }
    const seconds = Math.round(this.parts.settings.limits.authTimeoutMs / 1000);
    this.parts.metrics.limitHit('auth-timeout');
    this.complaints.info({ event: 'auth-timeout' }, 'socket closed: no login');
    this.socket.emit('ssherror', `No login within ${seconds} s: connection closed`);
    this.socket.disconnect(true);
  };

  /** The login is over, one way or another: the client's in-flight slot is free. */
  private endLoginSlot(): void {
    const slot = this.loginSlot;
    if (!slot) return;
    this.loginSlot = undefined;
    this.parts.limits.loginEnded(this.arrival.clientAddress, slot).catch((error: Error) => this.log.warn({ err: error.message }, 'could not free the login slot'));
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
    this.endLoginSlot();
    this.parts.metrics.loginFinished(false);
    this.socket.emit('authentication', { action: 'auth_result', success: false, message });
    this.forgetSession();
    this.phase = 'awaiting-auth';
  }

  private sessionClosed(reason: string, exitCode?: number, signal?: string): void {
    this.forgetSession();
    this.phase = 'gone';
    // The session's last output goes first; Engine.IO then flushes it all before closing.
    this.writer.inOrder(() => {
      this.socket.emit('session:closed', { reason, ...(exitCode !== undefined && { exitCode }), ...(signal !== undefined && { signal }) });
      this.socket.emit('ssherror', 'Connection closed');
      this.socket.disconnect(true);
    });
  }

  private control(action: 'replayCredentials' | 'reauth'): void {
    const { options } = this.parts.settings;
    if (action === 'reauth') {
      if (!options.allowReauth) this.tell('Re-authentication not permitted');
      else this.answer(() => this.socket.emit('authentication', { action: 'reauth' }));
      return;
    }
    if (!options.allowReplay) this.tell('Credential replay not permitted');
    else if (this.phase !== 'live') this.tell('No active shell');
    else this.toWorker({ type: 'replay-credentials', sid: this.sid! });
  }

  /** Output and input counting start afresh (a login) or where the worker stands (a resume). */
  private startStreams(outputOffset: number, inputOffset: number, inputTaken: number): void {
    this.writer.restart(outputOffset);
    this.acks.restart(outputOffset);
    this.input.restart(inputOffset, inputTaken);
    this.inputRefusalTold = false;
  }

  private emitOutput(data: Buffer): void {
    this.writer.output(data);
    this.parts.metrics.outputSent(data.length);
  }

  /**
   * Input from the client goes to the worker in order while the input window
   * has room (the shell need not be open yet: the worker holds it until it
   * is). Refused input is dropped, and the client told once until the window reopens.
   */
  private typed(text: string): void {
    if (this.phase !== 'live') return this.refuseInput('No SSH session is open yet: input dropped');
    // Measured before it is copied: refused input must cost as little as possible.
    if (!this.input.offer(Buffer.byteLength(text, 'utf8'))) {
      return this.refuseInput(`Input dropped: the remote program is not reading its input (${Math.round(this.input.backlog / 1024)} KiB waiting)`);
    }
    this.toWorker({ type: 'input', sid: this.sid!, data: Buffer.from(text, 'utf8') });
  }

  private refuseInput(message: string): void {
    if (this.inputRefusalTold) return;
    this.inputRefusalTold = true;
    this.complaints.info({ sid: this.sid, event: 'input-refused', phase: this.phase }, message);
    this.tell(message);
  }

  /** An error answering something the client did: `ssherror`, within the answer budget. */
  private tell(message: string): void {
    this.answer(() => this.socket.emit('ssherror', message));
  }

  /**
   * Sends an answer to a client event, unless the client has not been
   * reading its answers: a client can send events far faster than it reads,
   * and what it does not read must not pile up here (socket-writer.ts).
   */
  private answer(send: () => void): void {
    if (this.writer.mayAnswer()) send();
  }

  private clientAck(offset: number): void {
    if (!this.acks.fromClient(offset)) this.tell('session:ack offset is ahead of the output sent');
  }

  private disconnected(reason: string): void {
    clearTimeout(this.placementTimer);
    clearTimeout(this.authTimer);
    this.endLoginSlot();
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
      if (this.phase === 'resuming') this.routes.abandonResume(sid, this, 'unknown');
    }
    this.log.info({ sid, reason }, 'socket disconnected');
    this.forgetSession();
    this.writer.close();
    this.receipts.close();
    this.phase = 'gone';
  }

  private forgetSession(): void {
    if (this.sid) this.routes.unregister(this.sid, this);
    clearTimeout(this.resumeTimer);
    this.outbox.reset();
    this.sid = undefined;
    this.pendingPrompt = undefined;
    this.hostKeyAsked = false;
    this.startStreams(0, 0, 0);
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
