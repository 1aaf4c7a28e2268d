/**
 * One browser session's SSH connection, owned by this worker: the login
 * (password, key, keyboard-interactive rounds relayed to the user), the
 * interactive shell with its pty, exec requests, and teardown from either
 * side. It talks to the gateway only through bus messages.
 */
import { StringDecoder } from 'node:string_decoder';
import { Client, type ClientChannel, type ConnectConfig, type KeyboardInteractiveCallback, type Prompt } from 'ssh2';
import { z } from 'zod';
import type { Bus } from '../../shared/bus/bus.js';
import type { InboxAddress, ToGateway, ToWorker } from '../../shared/bus/messages.js';
import type { Config } from '../../shared/config/schema.js';
import type { SealedBox } from '../../shared/crypto/sealed-box.js';
import type { Logger } from '../../shared/log/logger.js';
import type { HostKeyStore } from '../../shared/host-key-store/host-key-store.js';
import type { Credentials, SessionJob } from '../../shared/placement/session-job.js';
import type { HostKeyVerifyRequest, UpdateUiMessage } from '../../shared/protocol/events.js';
import type { ExecPayload } from '../../shared/protocol/inbound.js';
import type { Lease, NewSession } from '../../shared/session-store/session-store.js';
import { connectFailureReason, describeConnectError, loginTimeoutMessage, type LoginFailureReason } from './connect-errors.js';
import type { DestinationPolicy } from './destination-policy.js';
import { HostKeyVerifier, type HostKeyAnswer, type HostKeyVerdict } from './host-key-verifier.js';
import { autoAnswer, toPromptMessage } from './keyboard-interactive.js';
import { LoginDeadline } from './login-deadline.js';
import { OutputRelay } from './output-relay.js';
import { SessionTimeouts } from './session-timeouts.js';

export type SessionSettings = Pick<Config, 'ssh' | 'options' | 'flow' | 'session'>;

export interface SshSessionContext {
  job: SessionJob;
  lease: Lease;
  settings: SessionSettings;
  bus: Bus<ToGateway>;
  /** Opens what the gateway sealed for this session (prompt answers). */
  credentialsBox: SealedBox;
  destinations: DestinationPolicy;
  /** The cluster's trusted host keys (used when host key verification is on). */
  hostKeys: HostKeyStore;
  log: Logger;
  /** Called once, when the session has ended for any reason. */
  onEnd: (session: SshSession, reason: string) => void;
  countBytes: (direction: 'in' | 'out', bytes: number) => void;
}

/** How a login ended: undefined for success, else why it failed. */
export type LoginOutcome = LoginFailureReason | undefined;

/** Bounds what a client can make us hold before its shell exists. */
const MAX_EARLY_INPUT_CHUNKS = 256;

interface PendingPrompt {
  id: string;
  finish: KeyboardInteractiveCallback;
  timer: NodeJS.Timeout;
}

interface PendingHostKeyPrompt {
  answer: (answer: HostKeyAnswer) => void;
  timer: NodeJS.Timeout;
}

export class SshSession {
  readonly sid: string;
  readonly lease: Lease;
  /** The gateway carrying the session now; undefined while detached. */
  private gateway: InboxAddress | undefined;
  private readonly client = new Client();
  private readonly log: Logger;
  private shell: ClientChannel | undefined;
  private shellRequested = false;
  /** Input typed while the shell channel was opening, written once it is open. */
  private earlyInput: Buffer[] = [];
  private relay: OutputRelay | undefined;
  private timeouts: SessionTimeouts | undefined;
  private size: { cols: number; rows: number };
  private inputBytes = 0;
  private replayPassword: string | undefined;
  private pendingPrompt: PendingPrompt | undefined;
  private pendingHostKey: PendingHostKeyPrompt | undefined;
  private exit: { code?: number; signal?: string } = {};
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
  }

  /**
   * Connects and logs in, reporting the outcome to the gateway. Resolves
   * undefined once logged in, or why the login failed (the session has ended).
   */
  async login(credentials: Credentials): Promise<LoginOutcome> {
    const { job, settings, destinations } = this.context;
    const target = { host: job.host, port: job.port };
    const destination = await destinations.resolve(job.host, job.port);
    if (!destination.allowed) {
      this.failLogin(destination.message, destination.reason);
      return destination.reason;
    }
    if (settings.options.allowReplay) this.replayPassword = credentials.password;

    return new Promise<LoginOutcome>((resolve) => {
      let settled = false;
      const settle = (failure?: { message: string; reason: LoginFailureReason }) => {
        if (settled) return;
        settled = true;
        deadline.clear();
        if (!failure) {
          this.loggedIn = true;
          this.post({ type: 'auth-result', sid: this.sid, success: true });
          this.log.info({ event: 'session-start', address: destination.address, setupMs: Date.now() - this.startedAt }, 'session started');
        } else {
          this.failLogin(failure.message, failure.reason);
        }
        resolve(failure?.reason);
      };
      /** Why the host key was refused: ssh2 then reports only "Host denied". */
      let hostKeyRefusal: { message: string; reason: LoginFailureReason } | undefined;
      const fail = (error: Error) =>
        settle(hostKeyRefusal ?? { message: describeConnectError(error, target), reason: connectFailureReason(error) });
      const deadline = new LoginDeadline(settings.ssh.readyTimeoutMs, () =>
        settle({ message: loginTimeoutMessage(target, settings.ssh.readyTimeoutMs), reason: 'timeout' }),
      );

      let round = 0;
      this.client.on('keyboard-interactive', (name, instructions, _lang, prompts, finish) => {
        round++;
        const answers = autoAnswer(prompts, {
          round,
          forwardAll: job.forwardAllPrompts || settings.ssh.alwaysSendKeyboardInteractivePrompts,
          password: credentials.password,
        });
        if (answers) return finish(answers);
        // Servers may send rounds with no prompts (information only).
        if (prompts.length === 0) return finish([]);
        this.forwardPrompt(name, instructions, prompts, finish, deadline, (message) => settle({ message, reason: 'prompt-timeout' }));
      });
      this.client.once('ready', () => settle());
      this.client.on('error', (error) => {
        if (!settled) fail(error);
        else this.log.warn({ err: error.message }, 'ssh connection error');
      });
      this.client.on('close', () => {
        if (!settled) settle({ message: `Connection to ${target.host}:${target.port} was closed by the remote side during login`, reason: 'closed' });
        else this.end('connection closed', true);
      });

      const connectConfig: ConnectConfig = {
        host: destination.address,
        port: job.port,
        username: job.username,
        password: credentials.password,
        privateKey: credentials.privateKey,
        passphrase: credentials.passphrase,
        tryKeyboard: true,
        readyTimeout: 0,
        keepaliveInterval: settings.ssh.keepaliveIntervalMs,
        keepaliveCountMax: settings.ssh.keepaliveCountMax,
      };
      const connect = () => {
        try {
          this.client.connect(connectConfig);
        } catch (error) {
          // ssh2 throws synchronously for keys it cannot parse.
          fail(error as Error);
        }
      };
      if (!settings.ssh.hostKeyVerification.enabled) return connect();
      // The trusted keys are read before connecting (within the login
      // deadline); the server's key is judged during key exchange, before
      // any credential is sent.
      const policy = { unknownKeyAction: settings.ssh.hostKeyVerification.unknownKeyAction, promptTimeoutMs: settings.ssh.promptTimeoutMs };
      HostKeyVerifier.forTarget(this.context.hostKeys, target, policy).then(
        (verifier) => {
          if (settled) return;
          const serverHostKey = verifier.serverHostKeyAlgorithms();
          if (serverHostKey) {
            connectConfig.algorithms = { ...connectConfig.algorithms, serverHostKey: serverHostKey as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] };
          }
          connectConfig.hostVerifier = (key: Buffer, verify: (valid: boolean) => void) => {
            void this.verifyHostKey(verifier, key, deadline).then((verdict) => {
              // The login already ended (deadline, client gone): nothing to resume.
              if (settled) return;
              if (!verdict.accepted) hostKeyRefusal = verdict;
              verify(verdict.accepted);
            });
          };
          connect();
        },
        (error: Error) => settle({ message: `Host key verification failed: the trusted keys could not be read (${error.message})`, reason: 'other' }),
      );
    });
  }

  /**
   * A message from a gateway. Only the gateway carrying the session may drive
   * it; anyone may ask to carry it (`attach`, after the gateway checked the
   * resume token).
   */
  handle(message: ToWorker, from: InboxAddress): void {
    if (this.ended) return;
    if (message.type === 'attach') return this.attach(from, message.offset, message.tokenHash);
    if (from !== this.gateway) {
      this.log.debug({ type: message.type, from }, 'message from a gateway that does not carry the session; dropped');
      return;
    }
    switch (message.type) {
      case 'prompt-response':
        return this.answerPrompt(message.promptId, message.sealedAnswers);
      case 'hostkey-response':
        this.pendingHostKey?.answer(message.action);
        return;
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
      case 'exec':
        return this.runExec(message.request);
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
    if (this.pendingPrompt) clearTimeout(this.pendingPrompt.timer);
    if (this.pendingHostKey) clearTimeout(this.pendingHostKey.timer);
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
          bytesIn: this.inputBytes,
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

  private forwardPrompt(
    name: string,
    instructions: string,
    prompts: Prompt[],
    finish: KeyboardInteractiveCallback,
    deadline: LoginDeadline,
    fail: (message: string) => void,
  ): void {
    const prompt = toPromptMessage(name, instructions, prompts);
    const limitMs = this.context.settings.ssh.promptTimeoutMs;
    deadline.suspend();
    const timer = setTimeout(() => fail(`No answer to the login prompt within ${Math.round(limitMs / 1000)} s`), limitMs);
    this.pendingPrompt = {
      id: prompt.id,
      timer,
      finish: (answers) => {
        deadline.resume();
        finish(answers);
      },
    };
    this.post({ type: 'prompt', sid: this.sid, prompt });
  }

  /** Judges the server's host key; the user's time on a prompt does not count against the login deadline. */
  private async verifyHostKey(verifier: HostKeyVerifier, key: Buffer, deadline: LoginDeadline): Promise<HostKeyVerdict> {
    const verdict = await verifier
      .verify(key, {
        notify: (notice) => this.post({ type: 'hostkey-notice', sid: this.sid, notice }),
        ask: (request) => this.askHostKey(request, deadline),
      })
      .catch((error: Error): HostKeyVerdict => ({ accepted: false, message: `Host key verification failed: ${error.message}`, reason: 'other' }));
    this.log.info({ event: 'host-key-checked', accepted: verdict.accepted, ...(!verdict.accepted && { reason: verdict.reason }) }, 'host key checked');
    return verdict;
  }

  private askHostKey(request: HostKeyVerifyRequest, deadline: LoginDeadline): Promise<HostKeyAnswer> {
    deadline.suspend();
    return new Promise<HostKeyAnswer>((resolve) => {
      const answer = (given: HostKeyAnswer) => {
        clearTimeout(timer);
        this.pendingHostKey = undefined;
        deadline.resume();
        resolve(given);
      };
      const timer = setTimeout(() => answer('timeout'), this.context.settings.ssh.promptTimeoutMs);
      this.pendingHostKey = { answer, timer };
      this.post({ type: 'hostkey-verify', sid: this.sid, request });
    });
  }

  private answerPrompt(promptId: string, sealedAnswers: string | null): void {
    const pending = this.pendingPrompt;
    if (!pending || pending.id !== promptId) return;
    this.pendingPrompt = undefined;
    clearTimeout(pending.timer);
    if (sealedAnswers === null) {
      this.failLogin('Login cancelled', 'cancelled');
      return;
    }
    let answers: string[];
    try {
      answers = z.array(z.string()).parse(JSON.parse(this.context.credentialsBox.open(sealedAnswers, this.sid)));
    } catch {
      this.failLogin('Internal error: the prompt answers could not be read', 'other');
      return;
    }
    pending.finish(answers);
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
      for (const data of this.earlyInput.splice(0)) this.input(data);
    });
  }

  private input(data: Buffer): void {
    if (this.shell) {
      this.inputBytes += data.length;
      this.context.countBytes('in', data.length);
      this.timeouts?.activity();
      this.shell.write(data);
    } else if (this.shellRequested && this.earlyInput.length < MAX_EARLY_INPUT_CHUNKS) {
      this.earlyInput.push(data);
    }
  }

  private runExec(request: ExecPayload): void {
    const { job } = this.context;
    const pty = request.pty ? { term: request.term ?? job.term, cols: request.cols ?? this.size.cols, rows: request.rows ?? this.size.rows } : undefined;
    this.client.exec(request.command, { pty, env: request.env }, (error, stream) => {
      if (error) {
        this.post({ type: 'ssherror', sid: this.sid, message: `Exec failed: ${error.message}` });
        return;
      }
      let finished = false;
      const finishWith = (code: number | null, signal: string | null) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.post({ type: 'exec-exit', sid: this.sid, message: { code, signal } });
      };
      const timer = request.timeoutMs
        ? setTimeout(() => {
            finishWith(null, 'TIMEOUT');
            stream.close();
          }, request.timeoutMs)
        : undefined;
      const relayText = (type: 'stdout' | 'stderr') => {
        const decoder = new StringDecoder('utf8');
        return (chunk: Buffer) => {
          const data = decoder.write(chunk);
          if (data) this.post({ type: 'exec-data', sid: this.sid, message: { type, data } });
        };
      };
      stream.on('data', relayText('stdout'));
      stream.stderr.on('data', relayText('stderr'));
      // The exit status can arrive before the last output has been read:
      // report it when the channel closes, after all output.
      let status: { code: number | null; signal: string | null } = { code: null, signal: null };
      stream.on('exit', (code: number | null, signal?: string) => {
        status = { code, signal: signal ?? null };
      });
      stream.on('close', () => finishWith(status.code, status.signal));
    });
  }

  private replayCredentials(): void {
    if (!this.replayPassword) {
      this.post({ type: 'ssherror', sid: this.sid, message: 'No stored password available' });
    } else if (!this.shell) {
      this.post({ type: 'ssherror', sid: this.sid, message: 'No active shell' });
    } else {
      this.shell.write(this.replayPassword + (this.context.settings.options.replayCrlf ? '\r\n' : '\n'));
    }
  }

  /**
   * Another gateway carries the session from now on (a resume), or the same
   * one again after losing messages. Output is re-sent from `offset`.
   */
  private attach(from: InboxAddress, offset: number, tokenHash: string): void {
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
    this.post({ type: 'attached', sid: this.sid, offset, inputOffset: this.inputBytes });
    this.relay?.resendFrom(offset);
    this.log.info({ event: 'session-attached', gateway: from, offset, inputOffset: this.inputBytes }, 'session attached');
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
