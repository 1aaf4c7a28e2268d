/**
 * One session's SSH login, from a placement job to a logged-in connection or
 * a reason why not: where it may go (destination policy), whether its target
 * is locked after too many refused passwords, the host key, and the
 * authentication itself, with keyboard-interactive rounds relayed to the user.
 *
 * It is bounded whatever the server or the user does: a total deadline from
 * the moment the worker took the job (prompts and host-key questions
 * included), each forwarded prompt's own deadline, and a cap on
 * keyboard-interactive rounds (a hostile server can send them forever).
 * While it runs it holds one of the worker's setup slots.
 *
 * The password is held in a Buffer that is zeroed once the login is over,
 * and in no string that outlives it (ssh2 keeps the credentials it was
 * given for the life of the connection, so it is given the Buffer).
 */
import type { Client, ConnectConfig, KeyboardInteractiveCallback, Prompt } from 'ssh2';
import { z } from 'zod';
import type { ToGateway } from '../../shared/bus/messages.js';
import type { SealedBox } from '../../shared/crypto/sealed-box.js';
import type { HostKeyStore } from '../../shared/host-key-store/host-key-store.js';
import type { Logger } from '../../shared/log/logger.js';
import type { Credentials, SessionJob } from '../../shared/placement/session-job.js';
import type { HostKeyVerifyRequest } from '../../shared/protocol/events.js';
import { connectFailureReason, describeConnectError, loginTimeoutMessage, type LoginFailureReason } from './connect-errors.js';
import type { DestinationPolicy } from './destination-policy.js';
import { HostKeyVerifier, type HostKeyAnswer, type HostKeyVerdict } from './host-key-verifier.js';
import { autoAnswer, toPromptMessage } from './keyboard-interactive.js';
import { LoginDeadline } from './login-deadline.js';
import type { SessionSettings } from './ssh-session.js';
import type { TargetLock } from './target-lock.js';

export interface LoginContext {
  client: Client;
  job: SessionJob;
  settings: SessionSettings;
  destinations: DestinationPolicy;
  hostKeys: HostKeyStore;
  targetLock: TargetLock;
  /** Opens what the gateway sealed for this session (prompt answers). */
  credentialsBox: SealedBox;
  /** To the gateway carrying the session. */
  post(message: ToGateway): void;
  log: Logger;
  /** Epoch ms at which the worker took the job: the total deadline counts from here. */
  startedAt: number;
}

export type LoginResult = { ok: true; address: string } | { ok: false; message: string; reason: LoginFailureReason };

type Failure = { message: string; reason: LoginFailureReason };

/** What ssh2's debug output says when it answers a keyboard-interactive round that asked nothing. */
const AUTOMATIC_ROUND = 'Client: Sending automatic USERAUTH_INFO_RESPONSE';

/**
 * ssh2 formats a debug line for every packet while a debug function is set:
 * once the login is over the connection must not pay for it. ssh2 reads the
 * function from its protocol object on each packet, so clearing it there
 * stops the output.
 */
function stopDebugOutput(client: Client): void {
  const protocol = (client as unknown as { _protocol?: { _debug?: unknown } })._protocol;
  if (protocol) protocol._debug = undefined;
}

interface Pending<T> {
  resolve: (value: T) => void;
  timer: NodeJS.Timeout;
}

export class SshLogin {
  private settle: ((failure?: Failure) => void) | undefined;
  private prompt: (Pending<string[]> & { id: string }) | undefined;
  private hostKeyQuestion: Pending<HostKeyAnswer> | undefined;

  constructor(private readonly context: LoginContext) {}

  /** Logs in; resolves once it has succeeded or failed (the connection is then closed). */
  async run(credentials: Credentials): Promise<LoginResult> {
    const { job, destinations, targetLock } = this.context;
    const destination = await destinations.resolve(job.host, job.port);
    if (!destination.allowed) return { ok: false, message: destination.message, reason: destination.reason };
    const reservation = await targetLock.reserve({ username: job.username, address: destination.address, port: job.port }, `${job.username}@${job.host}`);
    if (typeof reservation === 'string') return { ok: false, message: reservation, reason: 'locked' };
    const password = credentials.password === undefined ? undefined : Buffer.from(credentials.password, 'utf8');
    try {
      const failure = await this.authenticate(destination.address, password, credentials.privateKey, credentials.passphrase);
      // Only a refused credential counts against the target: a host that is down says nothing about a password.
      await (failure?.reason === 'auth' ? reservation.rejected() : reservation.released()).catch((error: Error) =>
        this.context.log.warn({ err: error.message }, 'could not settle the target lock'),
      );
      return failure ? { ok: false, ...failure } : { ok: true, address: destination.address };
    } finally {
      password?.fill(0);
    }
  }

  /** The user's answers to the forwarded prompt `promptId` (sealed by the gateway), or null: they backed out. */
  answerPrompt(promptId: string, sealedAnswers: string | null): void {
    const pending = this.prompt;
    if (!pending || pending.id !== promptId) return;
    this.prompt = undefined;
    clearTimeout(pending.timer);
    if (sealedAnswers === null) return this.settle?.({ message: 'Login cancelled', reason: 'cancelled' });
    try {
      pending.resolve(z.array(z.string()).parse(JSON.parse(this.context.credentialsBox.open(sealedAnswers, this.context.job.sid))));
    } catch {
      this.settle?.({ message: 'Internal error: the prompt answers could not be read', reason: 'other' });
    }
  }

  answerHostKey(answer: HostKeyAnswer): void {
    const pending = this.hostKeyQuestion;
    if (!pending) return;
    this.hostKeyQuestion = undefined;
    clearTimeout(pending.timer);
    pending.resolve(answer);
  }

  /** The session ended while logging in (the client left, the worker stops). */
  abort(message: string): void {
    this.settle?.({ message, reason: 'cancelled' });
  }

  private authenticate(address: string, password: Buffer | undefined, privateKey: string | undefined, passphrase: string | undefined): Promise<Failure | undefined> {
    const { client, job, settings } = this.context;
    const ssh = settings.ssh;
    const target = { host: job.host, port: job.port };
    return new Promise<Failure | undefined>((resolve) => {
      let settled = false;
      /** Why the host key was refused: ssh2 then reports only "Host denied". */
      let hostKeyRefusal: Failure | undefined;
      const deadline = new LoginDeadline(ssh.readyTimeoutMs, () => finish({ message: loginTimeoutMessage(target, ssh.readyTimeoutMs), reason: 'timeout' }));
      const totalMs = Math.max(0, this.context.startedAt + ssh.loginTimeoutMs - Date.now());
      const total = setTimeout(() => finish({ message: `The login did not complete within ${Math.round(ssh.loginTimeoutMs / 1000)} s`, reason: 'timeout' }), totalMs);
      const onError = (error: Error) => finish(hostKeyRefusal ?? { message: describeConnectError(error, target), reason: connectFailureReason(error) });
      const onClose = () => finish({ message: `Connection to ${target.host}:${target.port} was closed by the remote side during login`, reason: 'closed' });
      const onReady = () => finish();
      const finish = (failure?: Failure) => {
        if (settled) return;
        settled = true;
        this.settle = undefined;
        deadline.clear();
        clearTimeout(total);
        this.dropQuestions();
        // Methods not tried (a private key, say) are not to outlive the login in the handler ssh2 keeps.
        methods.length = 0;
        client.off('error', onError).off('close', onClose).off('ready', onReady);
        stopDebugOutput(client);
        if (failure) client.end();
        resolve(failure);
      };
      this.settle = finish;
      client.on('error', onError).on('close', onClose).once('ready', onReady);

      let rounds = 0;
      const tooManyRounds = () => {
        if (++rounds <= ssh.maxKeyboardInteractiveRounds) return false;
        finish({ message: `The server asked more than ${ssh.maxKeyboardInteractiveRounds} rounds of login questions`, reason: 'auth' });
        return true;
      };
      const keyboardInteractive = (name: string, instructions: string, _lang: string, prompts: Prompt[], answer: KeyboardInteractiveCallback) => {
        if (tooManyRounds()) return;
        const auto = autoAnswer(prompts, { round: rounds, forwardAll: job.forwardAllPrompts || ssh.alwaysSendKeyboardInteractivePrompts, password });
        if (auto) return answer(auto);
        // Servers may send rounds with no prompts (information only).
        if (prompts.length === 0) return answer([]);
        void this.ask(name, instructions, prompts, deadline).then((reply) => (Array.isArray(reply) ? answer(reply) : finish(reply)));
      };
      // Methods are offered in ssh2's own order; the password goes as the Buffer that is zeroed afterwards.
      const methods: Array<Record<string, unknown>> = [
        { type: 'none', username: job.username },
        ...(password ? [{ type: 'password', username: job.username, password }] : []),
        ...(privateKey ? [{ type: 'publickey', username: job.username, key: privateKey, passphrase }] : []),
        { type: 'keyboard-interactive', username: job.username, prompt: keyboardInteractive },
      ];
      const config: ConnectConfig = {
        host: address,
        port: job.port,
        username: job.username,
        authHandler: ((_left: unknown, _partial: unknown, next: (method: unknown) => void) => next(methods.shift() ?? false)) as unknown as ConnectConfig['authHandler'],
        readyTimeout: 0,
        keepaliveInterval: ssh.keepaliveIntervalMs,
        keepaliveCountMax: ssh.keepaliveCountMax,
        // ssh2 answers rounds without questions itself and tells only its
        // debug output; those count too, or a server could loop them for ever
        // (one round trip each, as fast as the network goes).
        debug: (line: string) => {
          if (!settled && line.startsWith(AUTOMATIC_ROUND)) tooManyRounds();
        },
      };
      const connect = () => {
        try {
          client.connect(config);
        } catch (error) {
          onError(error as Error);
        }
      };
      if (!ssh.hostKeyVerification.enabled) return connect();
      // The trusted keys are read before connecting (within the login
      // deadline); the server's key is judged during key exchange, before
      // any credential is sent.
      const policy = {
        unknownKeyAction: ssh.hostKeyVerification.unknownKeyAction,
        promptTimeoutMs: ssh.promptTimeoutMs,
        onStoreFull: () => this.context.log.warn({ event: 'host-key-store-full', max: ssh.hostKeyVerification.maxStoredKeys }, 'the host-key store is full: the accepted key holds for this login only'),
      };
      HostKeyVerifier.forTarget(this.context.hostKeys, { ...target, address }, policy).then(
        (verifier) => {
          if (settled) return;
          const serverHostKey = verifier.serverHostKeyAlgorithms();
          if (serverHostKey) config.algorithms = { serverHostKey: serverHostKey as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] };
          config.hostVerifier = (key: Buffer, verify: (valid: boolean) => void) => {
            void this.verifyHostKey(verifier, key, deadline).then((verdict) => {
              if (settled) return;
              if (!verdict.accepted) hostKeyRefusal = verdict;
              verify(verdict.accepted);
            });
          };
          connect();
        },
        (error: Error) => finish({ message: `Host key verification failed: the trusted keys could not be read (${error.message})`, reason: 'other' }),
      );
    });
  }

  /**
   * Relays a keyboard-interactive round to the user: the answers, or why
   * there are none. The user's time does not count against the connect deadline.
   */
  private ask(name: string, instructions: string, prompts: Prompt[], deadline: LoginDeadline): Promise<string[] | Failure> {
    const message = toPromptMessage(name, instructions, prompts);
    const limitMs = this.context.settings.ssh.promptTimeoutMs;
    deadline.suspend();
    return new Promise<string[] | Failure>((resolve) => {
      const timer = setTimeout(() => {
        this.prompt = undefined;
        resolve({ message: `No answer to the login prompt within ${Math.round(limitMs / 1000)} s`, reason: 'prompt-timeout' });
      }, limitMs);
      this.prompt = {
        id: message.id,
        timer,
        resolve: (answers) => {
          deadline.resume();
          resolve(answers);
        },
      };
      this.context.post({ type: 'prompt', sid: this.context.job.sid, prompt: message });
    });
  }

  /** Judges the server's host key; the user's time on a question does not count against the connect deadline. */
  private async verifyHostKey(verifier: HostKeyVerifier, key: Buffer, deadline: LoginDeadline): Promise<HostKeyVerdict> {
    const { sid } = this.context.job;
    const verdict = await verifier
      .verify(key, {
        notify: (notice) => this.context.post({ type: 'hostkey-notice', sid, notice }),
        ask: (request) => this.askHostKey(request, deadline),
      })
      .catch((error: Error): HostKeyVerdict => ({ accepted: false, message: `Host key verification failed: ${error.message}`, reason: 'other' }));
    this.context.log.info({ event: 'host-key-checked', accepted: verdict.accepted, ...(!verdict.accepted && { reason: verdict.reason }) }, 'host key checked');
    return verdict;
  }

  private askHostKey(request: HostKeyVerifyRequest, deadline: LoginDeadline): Promise<HostKeyAnswer> {
    deadline.suspend();
    return new Promise<HostKeyAnswer>((resolve) => {
      const timer = setTimeout(() => this.answerHostKey('timeout'), this.context.settings.ssh.promptTimeoutMs);
      this.hostKeyQuestion = {
        timer,
        resolve: (answer) => {
          deadline.resume();
          resolve(answer);
        },
      };
      this.context.post({ type: 'hostkey-verify', sid: this.context.job.sid, request });
    });
  }

  private dropQuestions(): void {
    if (this.prompt) clearTimeout(this.prompt.timer);
    if (this.hostKeyQuestion) clearTimeout(this.hostKeyQuestion.timer);
    this.prompt = undefined;
    this.hostKeyQuestion = undefined;
  }
}
