/**
 * One browser session's SSH connection, owned by this worker: the login
 * (password, key, keyboard-interactive rounds relayed to the user), the
 * interactive shell with its pty, exec requests, and teardown from either
 * side. It talks to the gateway only through bus messages.
 */
import { Client, type ClientChannel } from 'ssh2';
import type { Bus } from '../../shared/bus/bus.js';
import type { InboxAddress, ToGateway, ToWorker } from '../../shared/bus/messages.js';
import type { Config } from '../../shared/config/schema.js';
import { ATTACH_PROOF_TTL_MS, type OwnershipProofs } from '../../shared/crypto/ownership-proof.js';
import type { SealedBox } from '../../shared/crypto/sealed-box.js';
import type { Logger } from '../../shared/log/logger.js';
import type { HostKeyStore } from '../../shared/host-key-store/host-key-store.js';
import type { Credentials, SessionJob } from '../../shared/placement/session-job.js';
import type { UpdateUiMessage } from '../../shared/protocol/events.js';
import type { Lease, NewSession } from '../../shared/session-store/session-store.js';
import type { LoginFailureReason } from './connect-errors.js';
import type { DestinationPolicy } from './destination-policy.js';
import { ExecChannels } from './exec-channels.js';
import { InputPipe } from './input-pipe.js';
import { OutputRelay } from './output-relay.js';
import { SessionTimeouts } from './session-timeouts.js';
import { SshLogin } from './ssh-login.js';
import type { TargetLock } from './target-lock.js';

export type SessionSettings = Pick<Config, 'ssh' | 'options' | 'flow' | 'session' | 'limits'>;

export interface SshSessionContext {
  job: SessionJob;
  lease: Lease;
  settings: SessionSettings;
  bus: Bus<ToGateway>;
  /** Opens what the gateway sealed for this session (prompt answers). */
  credentialsBox: SealedBox;
  /** Checks that a gateway asking to carry the session is one of the cluster's (attach proofs). */
  proofs: OwnershipProofs;
  destinations: DestinationPolicy;
  /** The cluster's trusted host keys (used when host key verification is on). */
  hostKeys: HostKeyStore;
  /** Refused logins per target, shared by the cluster (the brute-force lock). */
  targetLock: TargetLock;
  log: Logger;
  /** Called once, when the session has ended for any reason. */
  onEnd: (session: SshSession, reason: string) => void;
  countBytes: (direction: 'in' | 'out', bytes: number) => void;
}

/** How a login ended: undefined for success, else why it failed. */
export type LoginOutcome = LoginFailureReason | undefined;

export class SshSession {
  readonly sid: string;
  readonly lease: Lease;
  /** The gateway carrying the session now; undefined while detached. */
  private gateway: InboxAddress | undefined;
  private readonly client = new Client();
  private readonly log: Logger;
  private shell: ClientChannel | undefined;
  private shellRequested = false;
  /** Input on its way into the shell; it waits there until the shell is open. */
  private readonly inputs: InputPipe;
  /** Set while input is being dropped for want of room, so the client is told once per episode. */
  private inputOverflowing = false;
  private readonly execs: ExecChannels;
  private relay: OutputRelay | undefined;
  private timeouts: SessionTimeouts | undefined;
  private size: { cols: number; rows: number };
  private replayPassword: string | undefined;
  /** The login while it runs: prompt and host-key answers go to it. */
  private loginFlow: SshLogin | undefined;
  private exit: { code?: number; signal?: string } = {};
  /** Attach proofs already used, by nonce, with when (each is good once, and only for a while). */
  private readonly attachNonces = new Map<string, number>();
  private detachTimer: NodeJS.Timeout | undefined;
  private loggedIn = false;
  private ended = false;
  /** The hash of the session's current resume token (rotated by every resume). */
  private tokenHash: string;
  private readonly startedAt = Date.now();

  constructor(private readonly context: SshSessionContext) {
    const { job } = context;
    this.sid = job.sid;
    this.lease = context.lease;
    this.gateway = job.gateway;
    this.size = { cols: job.cols, rows: job.rows };
    this.tokenHash = job.tokenHash;
    this.log = context.log.child({ sid: job.sid, user: job.username, target: `${job.host}:${job.port}` });
    // Always listened to: ssh2 can report an error after the login gave up on the connection, and an
    // unheard 'error' would end the process. During the login, ssh-login.ts handles them too.
    this.client.on('error', (error) => {
      if (this.loggedIn) this.log.warn({ err: error.message }, 'ssh connection error');
    });
    const { flow, limits } = context.settings;
    this.inputs = new InputPipe(
      { reportStepBytes: Math.max(1, Math.floor(flow.inputWindowBytes / 8)), maxBacklogBytes: flow.inputWindowBytes },
      (offset) => this.post({ type: 'input-ack', sid: this.sid, offset }),
    );
    this.execs = new ExecChannels(
      this.client,
      {
        data: (message, bytes) => this.post({ type: 'exec-data', sid: this.sid, message, bytes }),
        exit: (message) => this.post({ type: 'exec-exit', sid: this.sid, message }),
        error: (message) => this.post({ type: 'ssherror', sid: this.sid, message }),
      },
      { highWaterBytes: flow.highWaterBytes, lowWaterBytes: flow.lowWaterBytes, maxConcurrent: limits.execsPerSession },
      { term: job.term, size: () => this.size },
    );
  }

  /**
   * Connects and logs in (ssh-login.ts), reporting the outcome to the
   * gateway. Resolves undefined once logged in, or why the login failed
   * (the session has ended).
   */
  async login(credentials: Credentials): Promise<LoginOutcome> {
    const { job, settings, destinations, hostKeys, targetLock, credentialsBox } = this.context;
    const login = new SshLogin({
      client: this.client,
      job,
      settings,
      destinations,
      hostKeys,
      targetLock,
      credentialsBox,
      post: (message) => this.post(message),
      log: this.log,
      startedAt: this.startedAt,
    });
    this.loginFlow = login;
    // Only while allowed: the worker then holds the password in memory for the session's life.
    if (settings.options.allowReplay) this.replayPassword = credentials.password;
    const result = await login.run(credentials);
    this.loginFlow = undefined;
    if (!result.ok) {
      this.failLogin(result.message, result.reason);
      return result.reason;
    }
    if (this.ended) return 'cancelled';
    this.loggedIn = true;
    this.client.on('close', () => this.end('connection closed', true));
    this.post({ type: 'auth-result', sid: this.sid, success: true });
    this.log.info({ event: 'session-start', address: result.address, setupMs: Date.now() - this.startedAt }, 'session started');
    return undefined;
  }

  /**
   * A message from a gateway. Only the gateway carrying the session may drive
   * it; anyone may ask to carry it (`attach`, after the gateway checked the
   * resume token).
   */
  handle(message: ToWorker, from: InboxAddress): void {
    if (this.ended) return;
    if (message.type === 'attach') return this.attach(from, message);
    if (from !== this.gateway) {
      this.log.debug({ type: message.type, from }, 'message from a gateway that does not carry the session; dropped');
      return;
    }
    switch (message.type) {
      case 'prompt-response':
        return this.loginFlow?.answerPrompt(message.promptId, message.sealedAnswers);
      case 'hostkey-response':
        return this.loginFlow?.answerHostKey(message.action);
      case 'terminal':
        return this.openShell(message.cols, message.rows);
      case 'input':
        return this.input(message.data);
      case 'resize':
        this.size = { cols: message.cols, rows: message.rows };
        this.shell?.setWindow(message.rows, message.cols, 0, 0);
        return;
      case 'ack':
        this.relay?.ack(message.offset);
        return;
      case 'exec-ack':
        return this.execs.ack(message.bytes);
      case 'exec':
        return this.execs.run(message.request);
      case 'replay-credentials':
        return this.replayCredentials();
      case 'detach':
        return this.detach();
      case 'close':
        return this.end(message.reason, false);
    }
  }

  /** What the session store should hold for this session, to put it back if Redis lost it. */
  get record(): NewSession {
    const { job } = this.context;
    return { sid: this.sid, gateway: this.gateway ?? job.gateway, tokenHash: this.tokenHash, username: job.username, host: job.host, port: job.port };
  }

  /** Tells the session's user something (e.g. that this worker is draining). */
  notify(update: UpdateUiMessage): void {
    this.post({ type: 'ui', sid: this.sid, update });
  }

  /** Ends the session: the SSH connection closes and the lease is released by the owner. */
  end(reason: string, notifyGateway: boolean): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.detachTimer);
    this.timeouts?.stop();
    this.execs.closeAll();
    this.loginFlow?.abort(reason);
    this.relay?.flush();
    if (notifyGateway && this.loggedIn) {
      this.post({ type: 'closed', sid: this.sid, reason, exitCode: this.exit.code, signal: this.exit.signal });
    }
    this.client.end();
    if (this.loggedIn) {
      this.log.info(
        {
          event: 'session-end',
          reason,
          durationMs: Date.now() - this.startedAt,
          bytesIn: this.inputs.received,
          bytesOut: this.relay?.producedOffset ?? 0,
          exitCode: this.exit.code,
          signal: this.exit.signal,
        },
        'session ended',
      );
    }
    this.context.onEnd(this, reason);
  }

  private failLogin(message: string, reason: LoginFailureReason): void {
    this.post({ type: 'auth-result', sid: this.sid, success: false, message, credentialsRejected: reason === 'auth' });
    this.log.info({ event: 'login-failed', reason, message }, 'login failed');
    this.end(`login failed: ${reason}`, false);
  }

  private openShell(cols: number, rows: number): void {
    this.size = { cols, rows };
    if (this.shellRequested) {
      this.shell?.setWindow(rows, cols, 0, 0);
      return;
    }
    this.shellRequested = true;
    const { settings, job } = this.context;
    this.client.shell({ term: job.term, cols, rows }, (error, stream) => {
      if (error) {
        this.post({ type: 'ssherror', sid: this.sid, message: `Could not open a shell: ${error.message}` });
        this.end('shell refused', true);
        return;
      }
      this.shell = stream;
      const relay = new OutputRelay(
        { send: (offset, data) => this.sendOutput(offset, data) },
        stream,
        { highWaterBytes: settings.flow.highWaterBytes, lowWaterBytes: settings.flow.lowWaterBytes, replayBytes: settings.session.replayBytes },
      );
      this.relay = relay;
      const timeouts = new SessionTimeouts(settings.session, (message) => {
        this.post({ type: 'ssherror', sid: this.sid, message });
        this.end(message, true);
      });
      this.timeouts = timeouts;
      timeouts.start();
      // A size that changed while the shell was opening.
      if (this.size.cols !== cols || this.size.rows !== rows) stream.setWindow(this.size.rows, this.size.cols, 0, 0);
      const output = (chunk: Buffer) => {
        this.context.countBytes('out', chunk.length);
        timeouts.activity();
        relay.push(chunk);
      };
      stream.on('data', output);
      stream.stderr.on('data', output);
      stream.on('exit', (code: number | null, signal?: string) => {
        this.exit = { code: code ?? undefined, signal: signal ?? undefined };
      });
      stream.on('close', () => this.end('shell closed', true));
      // Input typed before the shell opened goes in first, in order.
      this.inputs.attach({ write: (data, done) => void stream.write(data, done) });
    });
  }

  /**
   * Input from the client, accepted in order whether or not the shell is open
   * yet. The gateway's input window keeps it within the bound; if a gateway
   * does not (another release, a bug), the excess is dropped and said so.
   */
  private input(data: Buffer): void {
    if (!this.inputs.push(data)) {
      if (!this.inputOverflowing) {
        this.inputOverflowing = true;
        this.log.warn({ event: 'input-dropped', backlog: this.inputs.backlog }, 'input dropped: the remote side is not reading it');
        this.post({ type: 'ssherror', sid: this.sid, message: 'Input dropped: the remote program is not reading its input' });
      }
      return;
    }
    this.inputOverflowing = false;
    this.context.countBytes('in', data.length);
    this.timeouts?.activity();
  }

  private replayCredentials(): void {
    if (!this.replayPassword) {
      this.post({ type: 'ssherror', sid: this.sid, message: 'No stored password available' });
    } else if (!this.shell) {
      this.post({ type: 'ssherror', sid: this.sid, message: 'No active shell' });
    } else if (!this.inputs.inject(Buffer.from(this.replayPassword + (this.context.settings.options.replayCrlf ? '\r\n' : '\n')))) {
      this.post({ type: 'ssherror', sid: this.sid, message: 'Credentials not replayed: the remote program is not reading its input' });
    }
  }

  /**
   * Another gateway carries the session from now on (a resume), or the same
   * one again after losing messages. Output is re-sent from `offset`.
   */
  private attach(from: InboxAddress, request: Extract<ToWorker, { type: 'attach' }>): void {
    const { offset, tokenHash } = request;
    const refusal = this.attachRefusal(from, request);
    if (refusal) {
      // Not from one of the cluster's gateways (or a replay): whoever wrote
      // it can write to Redis but does not hold the cluster secret.
      this.log.warn({ event: 'attach-refused', from, why: refusal }, 'attach refused');
      return;
    }
    const check = this.relay ? this.relay.canResendFrom(offset) : offset === 0 ? 'ok' : 'ahead';
    if (check !== 'ok') {
      const message =
        check === 'gone'
          ? `Output before byte ${offset} is no longer kept (the last ${this.context.settings.session.replayBytes} bytes are)`
          : `Offset ${offset} is ahead of the output this session has sent`;
      void this.context.bus.post(from, { type: 'attach-failed', sid: this.sid, reason: check === 'gone' ? 'offset-gone' : 'forbidden', message });
      return;
    }
    const previous = this.gateway;
    if (previous && previous !== from) void this.context.bus.post(previous, { type: 'detached', sid: this.sid, reason: 'taken-over' });
    this.gateway = from;
    this.tokenHash = tokenHash;
    clearTimeout(this.detachTimer);
    this.detachTimer = undefined;
    this.execs.rebase();
    this.post({ type: 'attached', sid: this.sid, offset, inputOffset: this.inputs.received, inputTaken: this.inputs.taken });
    this.relay?.resendFrom(offset);
    this.log.info({ event: 'session-attached', gateway: from, offset, inputOffset: this.inputs.received }, 'session attached');
  }

  /** Why an attach is not to be believed, or undefined when its proof holds and is fresh. */
  private attachRefusal(from: InboxAddress, request: Extract<ToWorker, { type: 'attach' }>): string | undefined {
    const { proof, ...claim } = request;
    const verdict = this.context.proofs.checkAttach({ ...claim, gateway: from }, proof);
    if (verdict !== 'valid') return verdict;
    const now = Date.now();
    for (const [nonce, seenAt] of this.attachNonces) if (now - seenAt > 2 * ATTACH_PROOF_TTL_MS) this.attachNonces.delete(nonce);
    if (this.attachNonces.has(request.nonce)) return 'replayed';
    this.attachNonces.set(request.nonce, now);
    return undefined;
  }

  /** No socket carries the session any more: keep it for a resume, for a while. */
  private detach(): void {
    if (this.ended) return;
    this.gateway = undefined;
    if (this.detachTimer) return;
    const timeoutMs = this.context.settings.session.detachTimeoutMs;
    this.log.info({ event: 'session-detached', timeoutMs }, 'session detached');
    this.detachTimer = setTimeout(() => this.end('detached too long', false), timeoutMs);
  }

  /** While detached, output is only kept (for the resume), not sent. */
  private sendOutput(offset: number, data: Buffer): Promise<boolean> {
    const gateway = this.gateway;
    if (!gateway) return Promise.resolve(true);
    return this.context.bus.post(gateway, { type: 'output', sid: this.sid, offset, data }).then((delivered) => {
      if (!delivered && this.gateway === gateway) this.detach();
      return true;
    });
  }

  private post(message: ToGateway): void {
    const gateway = this.gateway;
    if (!gateway) return;
    this.context.bus.post(gateway, message).then(
      (delivered) => {
        if (!delivered && this.gateway === gateway) this.detach();
      },
      (error: Error) => this.log.warn({ err: error.message, type: message.type }, 'could not reach the gateway'),
    );
  }
}
