/**
 * A login through this connection, WebSSH2's way: credentials from the
 * client (`authenticate`) or handed off by an HTTP login route, admitted by
 * the per-address limits, placed for a worker with room, its prompts and
 * host-key questions relayed, and its result announced in WebSSH2's order
 * (`auth_result`, `session:info`, `permissions`, `getTerminal`, `updateUI`).
 */
import { randomUUID } from 'node:crypto';
import type { ToGateway } from '../../../shared/bus/messages.js';
import type { HostKeyNotice } from '../../../shared/protocol/outbound.js';
import { newResumeToken } from '../../../shared/crypto/resume-token.js';
import type { HostKeyVerifyRequest, PromptMessage } from '../../../shared/protocol/events.js';
import { authenticatePayload, type AuthenticatePayload, type HostKeyVerifyResponse, type PromptResponse } from '../../../shared/protocol/inbound.js';
import { parseInbound } from '../validation.js';
import type { ConnectionContext } from './context.js';
import type { GatewaySettings } from './parts.js';

export class LoginFlow {
  /** Settles once the socket's credentials are known: handed off over HTTP, or to be asked for. */
  readonly started: Promise<void>;
  private placementTimer: NodeJS.Timeout | undefined;
  private pendingPrompt: PromptMessage | undefined;
  /** The worker asked the client about an unknown host key and waits for the answer. */
  private hostKeyAsked = false;
  /** The login holding one of this client's in-flight slots (limits), until it is over. */
  private loginSlot: string | undefined;

  constructor(
    private readonly ctx: ConnectionContext,
    handoffId: string | undefined,
  ) {
    this.started = this.start(handoffId);
  }

  /**
   * Logs in with credentials an HTTP login route handed off (WebSSH2's
   * Basic-auth and POST routes), or asks the client for them.
   */
  private async start(handoffId: string | undefined): Promise<void> {
    const { ctx } = this;
    const grant = handoffId
      ? await ctx.parts.handoff.take(handoffId).catch((error: Error) => {
          ctx.log.warn({ err: error.message }, 'could not take the handed-off credentials');
          return undefined;
        })
      : undefined;
    if (ctx.state.phase === 'gone') return;
    if (!grant) return void ctx.socket.emit('authentication', { action: 'request_auth' });
    ctx.log.info({ event: 'handoff-taken', hostLocked: grant.hostLocked }, 'credentials handed off by an HTTP login route');
    const { credentials } = grant;
    if (grant.hostLocked) ctx.state.lockedTarget = { host: credentials.host, port: credentials.port ?? ctx.parts.settings.ssh.port };
    await this.place(credentials);
  }

  async authenticate(raw: unknown): Promise<void> {
    const { ctx } = this;
    await this.started;
    const { phase } = ctx.state;
    if (phase !== 'awaiting-auth') return ctx.tell(phase === 'live' ? 'Already authenticated' : 'Authentication already in progress');
    // A bad payload is an auth_result, as WebSSH2 answers it.
    const parsed = parseInbound(authenticatePayload, raw);
    if (!parsed.ok) {
      ctx.complaints.warn({ event: 'authenticate', problem: parsed.problem }, 'invalid event payload');
      return ctx.answer(() => ctx.socket.emit('authentication', { action: 'auth_result', success: false, message: `Invalid credentials: ${parsed.problem}` }));
    }
    const locked = ctx.state.lockedTarget;
    if (locked && (parsed.value.host !== locked.host || (parsed.value.port ?? ctx.parts.settings.ssh.port) !== locked.port)) {
      ctx.complaints.warn({ event: 'login-refused', target: `${parsed.value.host}:${parsed.value.port}`, locked: `${locked.host}:${locked.port}` }, 'login outside the host lock');
      return ctx.answer(() => ctx.socket.emit('authentication', { action: 'auth_result', success: false, message: `This session is locked to ${locked.host}:${locked.port}` }));
    }
    await this.place(parsed.value);
  }

  /** The part of the worker's messages that belongs to a login under way. */
  deliver(message: Extract<ToGateway, { type: 'claimed' | 'prompt' | 'hostkey-verify' | 'hostkey-notice' | 'auth-result' }>): void {
    switch (message.type) {
      case 'claimed':
        return this.claimed(message);
      case 'prompt':
        this.pendingPrompt = message.prompt;
        return void this.ctx.socket.emit('prompt', message.prompt);
      case 'hostkey-verify':
        return this.askHostKey(message.request);
      case 'hostkey-notice':
        return relayHostKeyNotice(this.ctx, message.notice);
      case 'auth-result':
        return message.success ? this.loggedIn() : this.failed(message.message ?? 'Authentication failed');
    }
  }

  promptResponse(response: PromptResponse): void {
    const { ctx } = this;
    const prompt = this.pendingPrompt;
    if (!prompt || ctx.state.phase !== 'logging-in') return ctx.tell('No login prompt is waiting for an answer');
    this.pendingPrompt = undefined;
    const answers = answersFor(prompt, response);
    const sealedAnswers = answers === null ? null : ctx.parts.credentialsBox.seal(JSON.stringify(answers), ctx.state.sid!);
    ctx.toWorker({ type: 'prompt-response', sid: ctx.state.sid!, promptId: prompt.id, sealedAnswers });
  }

  hostKeyResponse(action: HostKeyVerifyResponse['action']): void {
    const { ctx } = this;
    if (!this.hostKeyAsked || ctx.state.phase !== 'logging-in') return ctx.tell('No host key verification is waiting for an answer');
    this.hostKeyAsked = false;
    ctx.toWorker({ type: 'hostkey-response', sid: ctx.state.sid!, action });
  }

  /** The login ended without a session (refused, failed, the worker lost): the socket may try again. */
  failed(message: string): void {
    const { ctx } = this;
    this.abandon();
    ctx.parts.metrics.loginFinished(false);
    ctx.socket.emit('authentication', { action: 'auth_result', success: false, message });
    ctx.forgetSession();
    ctx.state.phase = 'awaiting-auth';
  }

  /** The connection is going away or its session is: nothing of the login may linger. */
  abandon(): void {
    clearTimeout(this.placementTimer);
    this.pendingPrompt = undefined;
    this.hostKeyAsked = false;
    const slot = this.loginSlot;
    if (!slot) return;
    this.loginSlot = undefined;
    this.ctx.parts.limits.loginEnded(this.ctx.arrival.clientAddress, slot).catch((error: Error) => this.ctx.log.warn({ err: error.message }, 'could not free the login slot'));
  }

  private async place(credentials: AuthenticatePayload): Promise<void> {
    const { ctx } = this;
    const { settings, store, placement, credentialsBox, tokenHasher } = ctx.parts;
    const sid = randomUUID();
    const target = { username: credentials.username, host: credentials.host, port: credentials.port ?? settings.ssh.port };
    ctx.state.phase = 'placing';
    const refusal = await ctx.parts.limits.admitLogin(ctx.arrival.clientAddress, sid).catch((error: Error) => {
      // The limits are a guard, not a dependency: a Redis hiccup must not stop logins.
      ctx.log.warn({ err: error.message }, 'could not check the login limits; admitting');
      return undefined;
    });
    if (!refusal) this.loginSlot = sid;
    if (ctx.state.phase !== 'placing') return this.abandon();
    if (refusal) {
      ctx.complaints.warn({ event: 'login-refused', user: target.username, target: `${target.host}:${target.port}`, why: refusal }, 'login refused by a limit');
      ctx.parts.metrics.loginFinished(false);
      ctx.parts.metrics.limitHit('login');
      ctx.state.phase = 'awaiting-auth';
      return void ctx.socket.emit('authentication', { action: 'auth_result', success: false, message: refusal });
    }
    ctx.state.sid = sid;
    ctx.state.target = target;
    ctx.state.resumeToken = newResumeToken();
    ctx.state.tokenHash = tokenHasher.hash(sid, ctx.state.resumeToken);
    ctx.routes.register(sid, ctx.connection);
    ctx.log.info({ event: 'login-requested', sid, user: target.username, target: `${target.host}:${target.port}` }, 'login requested');

    const sealed = credentialsBox.seal(JSON.stringify({ password: credentials.password, privateKey: credentials.privateKey, passphrase: credentials.passphrase }), sid);
    const timeoutMs = settings.cluster.placementTimeoutMs;
    try {
      await store.create({ sid, gateway: ctx.gatewayAddress, tokenHash: ctx.state.tokenHash, ...target }, timeoutMs + settings.ssh.readyTimeoutMs);
      await placement.enqueue({
        sid,
        gateway: ctx.gatewayAddress,
        ...target,
        term: credentials.term ?? settings.ssh.term,
        cols: credentials.cols ?? 80,
        rows: credentials.rows ?? 24,
        forwardAllPrompts: credentials.forwardAllKeyboardInteractivePrompts ?? false,
        sealedCredentials: sealed,
        tokenHash: ctx.state.tokenHash,
        enqueuedAt: Date.now(),
        deadline: Date.now() + timeoutMs,
      });
    } catch (error) {
      ctx.log.error({ sid, err: (error as Error).message }, 'could not queue the session');
      return this.failed('The gateway could not reach its session queue; try again shortly');
    }
    this.placementTimer = setTimeout(() => void this.placementTimedOut(sid), timeoutMs);
  }

  private async placementTimedOut(sid: string): Promise<void> {
    const { ctx } = this;
    if (ctx.state.sid !== sid || ctx.state.phase !== 'placing') return;
    await ctx.parts.placement.withdraw(sid).catch(() => false);
    await ctx.parts.store.remove(sid).catch(() => undefined);
    ctx.log.warn({ sid }, 'no worker took the session in time');
    this.failed('No SSH worker is available right now; try again shortly');
  }

  private claimed(message: Extract<ToGateway, { type: 'claimed' }>): void {
    const { ctx } = this;
    if (!ctx.parts.proofs.ownerMatches(message.sid, message.worker, message.proof)) {
      // Not made with the cluster secret: someone wrote to this inbox who
      // should not. Nothing of this session goes there.
      ctx.log.error({ sid: message.sid, worker: message.worker, event: 'forged-claim' }, 'claim without a valid proof ignored');
      return;
    }
    if (ctx.state.phase !== 'placing') return;
    ctx.outbox.reset(message.worker);
    ctx.state.phase = 'logging-in';
    clearTimeout(this.placementTimer);
  }

  private askHostKey(request: HostKeyVerifyRequest): void {
    this.hostKeyAsked = true;
    this.ctx.socket.emit('hostkey:verify', request);
  }

  private loggedIn(): void {
    const { ctx } = this;
    const target = ctx.state.target!;
    ctx.parts.limits.sessionStarted(ctx.arrival.clientAddress).catch((error: Error) => ctx.log.warn({ err: error.message }, 'could not count the session'));
    ctx.state.phase = 'live';
    this.abandon();
    ctx.streams.restart(0, 0, 0);
    ctx.parts.metrics.loginFinished(true);
    ctx.socket.emit('authentication', { action: 'auth_result', success: true });
    ctx.announceSession();
    ctx.socket.emit('permissions', permissionsOf(ctx.parts.settings.options));
    ctx.socket.emit('getTerminal', true);
    ctx.socket.emit('updateUI', { element: 'footer', value: `ssh://${target.host}:${target.port}` });
    ctx.socket.emit('updateUI', { element: 'status', value: 'Connected' });
  }
}

/** The worker's word on the host key, as WebSSH2's `hostkey:*` events. */
function relayHostKeyNotice({ socket }: ConnectionContext, notice: HostKeyNotice): void {
  switch (notice.event) {
    case 'hostkey:verified':
      return void socket.emit(notice.event, notice.payload);
    case 'hostkey:mismatch':
      return void socket.emit(notice.event, notice.payload);
    case 'hostkey:alert':
      return void socket.emit(notice.event, notice.payload);
    case 'hostkey:rejected':
      return void socket.emit(notice.event, notice.payload);
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
