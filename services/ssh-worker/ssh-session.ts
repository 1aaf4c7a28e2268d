/**
 * One browser session's SSH connection, owned by this worker, and the one
 * place that knows its parts: the login (ssh-login.ts), the shell
 * (shell-channel.ts), exec requests (exec-channels.ts), which gateway
 * carries it (attach-flow.ts) and the way back to that gateway
 * (gateway-link.ts). Messages from gateways are dispatched here; the
 * session ends here, once, whichever side ends it.
 *
 * One keystroke: worker.ts (route) -> here (handle) -> shell-channel (write)
 * -> input-pipe -> the ssh2 channel. Its echo: the ssh2 channel ->
 * shell-channel -> output-relay -> gateway-link -> bus, without coming back
 * here.
 */
import { Client } from 'ssh2';
import type { Bus } from '../../shared/bus/bus.js';
import type { InboxAddress, ToGateway, ToWorker } from '../../shared/bus/messages.js';
import type { Config } from '../../shared/config/schema.js';
import type { OwnershipProofs } from '../../shared/crypto/ownership-proof.js';
import type { SealedBox } from '../../shared/crypto/sealed-box.js';
import type { Logger } from '../../shared/log/logger.js';
import type { HostKeyStore } from '../../shared/host-key-store/host-key-store.js';
import type { Credentials, SessionJob } from '../../shared/placement/session-job.js';
import type { UpdateUiMessage } from '../../shared/protocol/events.js';
import type { Lease, NewSession } from '../../shared/session-store/session-store.js';
import type { LoginFailureReason } from './connect-errors.js';
import type { DestinationPolicy } from './destination-policy.js';
import { AttachFlow } from './attach-flow.js';
import { ExecChannels } from './exec-channels.js';
import { GatewayLink } from './gateway-link.js';
import { ShellChannel } from './shell-channel.js';
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
  private readonly client = new Client();
  private readonly log: Logger;
  private readonly link: GatewayLink;
  private readonly shell: ShellChannel;
  private readonly execs: ExecChannels;
  private readonly attachments: AttachFlow;
  /** The login while it runs: prompt and host-key answers go to it. */
  private loginFlow: SshLogin | undefined;
  /** Kept only while replaying credentials is allowed. */
  private replayPassword: string | undefined;
  private loggedIn = false;
  private ended = false;
  private readonly startedAt = Date.now();

  constructor(private readonly context: SshSessionContext) {
    const { job, settings, bus, proofs, countBytes } = context;
    this.sid = job.sid;
    this.lease = context.lease;
    this.log = context.log.child({ sid: job.sid, user: job.username, target: `${job.host}:${job.port}` });
    // Always listened to: ssh2 can report an error after the login gave up on the connection, and an
    // unheard 'error' would end the process. During the login, ssh-login.ts handles them too.
    this.client.on('error', (error) => {
      if (this.loggedIn) this.log.warn({ err: error.message }, 'ssh connection error');
    });
    // Output that found no inbox: the gateway is gone, and the session waits for a resume.
    this.link = new GatewayLink(job.sid, job.gateway, bus, this.log, () => {
      if (!this.ended) this.attachments.detach();
    });
    this.attachments = new AttachFlow(job.sid, job.tokenHash, this.link, proofs, settings.session, this.log, () =>
      this.end('detached too long', false),
    );
    this.shell = new ShellChannel(
      { sid: job.sid, client: this.client, term: job.term, settings, link: this.link, log: this.log, countBytes, ended: (reason) => this.end(reason, true) },
      { cols: job.cols, rows: job.rows },
    );
    this.execs = new ExecChannels(
      this.client,
      {
        data: (message, bytes) => this.link.post({ type: 'exec-data', sid: this.sid, message, bytes }),
        exit: (message) => this.link.post({ type: 'exec-exit', sid: this.sid, message }),
        error: (message) => this.link.post({ type: 'ssherror', sid: this.sid, message }),
      },
      { highWaterBytes: settings.flow.highWaterBytes, lowWaterBytes: settings.flow.lowWaterBytes, maxConcurrent: settings.limits.execsPerSession },
      { term: job.term, size: () => this.shell.size },
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
      post: (message) => this.link.post(message),
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
    this.link.post({ type: 'auth-result', sid: this.sid, success: true });
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
    if (message.type === 'attach') return this.attachments.attach(from, message, this.handover);
    if (!this.link.carriedBy(from)) {
      this.log.debug({ type: message.type, from }, 'message from a gateway that does not carry the session; dropped');
      return;
    }
    switch (message.type) {
      case 'input':
        return this.shell.write(message.offset, message.data);
      case 'ack':
        return this.shell.acknowledge(message.offset);
      case 'resize':
        return this.shell.resize({ cols: message.cols, rows: message.rows });
      case 'terminal':
        return this.shell.open({ cols: message.cols, rows: message.rows });
      case 'exec-ack':
        return this.execs.ack(message.bytes);
      case 'exec':
        return this.execs.run(message.request);
      case 'prompt-response':
        return this.loginFlow?.answerPrompt(message.promptId, message.sealedAnswers);
      case 'hostkey-response':
        return this.loginFlow?.answerHostKey(message.action);
      case 'replay-credentials':
        return this.replayCredentials();
      case 'detach':
        return this.attachments.detach();
      case 'close':
        return this.end(message.reason, false);
    }
  }

  /** What the session store should hold for this session, to put it back if Redis lost it. */
  /**
   * Messages to this worker may have been lost (Redis failed over): the
   * carrier is told how much input arrived, and sends again what did not.
   */
  inputMayBeLost(): void {
    if (!this.ended && this.link.gateway) this.shell.askForInput();
  }

  get record(): NewSession {
    const { job } = this.context;
    const gateway = this.link.gateway ?? job.gateway;
    return { sid: this.sid, gateway, tokenHash: this.attachments.tokenHash, username: job.username, host: job.host, port: job.port };
  }

  /** Tells the session's user something (e.g. that this worker is draining). */
  notify(update: UpdateUiMessage): void {
    this.link.post({ type: 'ui', sid: this.sid, update });
  }

  /** Ends the session: the SSH connection closes and the lease is released by the owner. */
  end(reason: string, notifyGateway: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.attachments.stopClock();
    this.shell.stop();
    this.execs.closeAll();
    this.loginFlow?.abort(reason);
    const { exit } = this.shell;
    if (notifyGateway && this.loggedIn) {
      this.link.post({ type: 'closed', sid: this.sid, reason, exitCode: exit.code, signal: exit.signal });
    }
    this.client.end();
    if (this.loggedIn) {
      this.log.info(
        {
          event: 'session-end',
          reason,
          durationMs: Date.now() - this.startedAt,
          bytesIn: this.shell.inputOffset,
          bytesOut: this.shell.outputOffset,
          exitCode: exit.code,
          signal: exit.signal,
        },
        'session ended',
      );
    }
    this.context.onEnd(this, reason);
  }

  /** A gateway takes the session over: what its windows start from, then the output it lacks. */
  private readonly handover = {
    canResendFrom: (offset: number) => this.shell.canResendFrom(offset),
    handOver: (offset: number) => {
      this.execs.rebase();
      this.link.post({ type: 'attached', sid: this.sid, offset, inputOffset: this.shell.inputOffset, inputTaken: this.shell.inputTaken });
      this.shell.resendFrom(offset);
      return this.shell.outputOffset - offset;
    },
  };

  private failLogin(message: string, reason: LoginFailureReason): void {
    this.link.post({ type: 'auth-result', sid: this.sid, success: false, message, credentialsRejected: reason === 'auth' });
    this.log.info({ event: 'login-failed', reason, message }, 'login failed');
    this.end(`login failed: ${reason}`, false);
  }

  private replayCredentials(): void {
    const refusal = this.replayPassword
      ? this.shell.typeSecret(Buffer.from(this.replayPassword + (this.context.settings.options.replayCrlf ? '\r\n' : '\n')))
      : 'No stored password available';
    if (refusal) this.link.post({ type: 'ssherror', sid: this.sid, message: refusal });
  }
}
