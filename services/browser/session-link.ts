/**
 * The page's end of the protocol: one SSH session over a succession of
 * Socket.IO sockets. It logs in (webssh2-server-api.md), and when a socket is
 * lost it opens a new one to the same address, where a load balancer may
 * pick any gateway, and resumes (session-extension.md) with its output and
 * input offsets, so every output byte reaches the terminal once and every
 * typed byte reaches the SSH session once. No DOM here: what the user sees is
 * decided by whoever listens to the events.
 *
 *   idle -> connecting -> authenticating -> live -> ended
 *                                           live -> reconnecting -> live
 */
import { io, type Socket } from 'socket.io-client';
import type {
  AuthenticationMessage,
  BinaryFrame,
  ClientToServerEvents,
  HostKeyInfo,
  HostKeyMismatch,
  HostKeyRejected,
  HostKeyVerifyRequest,
  Permissions,
  PromptMessage,
  ServerToClientEvents,
  SessionClosed,
  SessionInfo,
  UpdateUiMessage,
} from '../../shared/protocol/events.js';
import { INPUT_PIECE_BYTES, PAGE_RESUME_PATIENCE_MS } from '../../shared/protocol/limits.js';
import type { AuthenticatePayload, ControlAction, HostKeyVerifyResponse, PromptResponse, ResizePayload } from '../../shared/protocol/inbound.js';
import { AckThrottle } from './ack-throttle.js';
import { InputJournal } from './input-journal.js';
import { OutputOffsets } from './output-offsets.js';
import { ReconnectBackoff, RESUME_BACKOFF } from './reconnect-backoff.js';

type LinkSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export type LinkPhase = 'idle' | 'connecting' | 'authenticating' | 'live' | 'reconnecting' | 'ended';

export type SessionEnd =
  | { kind: 'closed'; message: string }
  | { kind: 'taken-over' }
  | { kind: 'resume-failed'; message: string };

/** What the server said about the SSH server's host key, short of asking. */
export type HostKeyNews =
  | { kind: 'mismatch'; detail: HostKeyMismatch }
  | { kind: 'rejected'; detail: HostKeyRejected }
  | { kind: 'alert'; detail: HostKeyInfo };

export interface LinkEvents {
  phase(phase: LinkPhase): void;
  /** The server wants credentials; `reauth` after the user asked to log in again. */
  credentialsWanted(why: 'request' | 'reauth'): void;
  loginFailed(message: string): void;
  loggedIn(): void;
  permissions(permissions: Permissions): void;
  /** Shell output, every byte once and in order; call `rendered` from the terminal's write callback. */
  output(bytes: Uint8Array, rendered: () => void): void;
  execOutput(text: string): void;
  prompt(prompt: PromptMessage): void;
  /** An unknown host key: the user's answer goes back with `answerHostKey`. */
  hostKeyVerify(request: HostKeyVerifyRequest): void;
  /** A refused host key (mismatch, rejected), or an unknown one let through (alert). */
  hostKeyNews(news: HostKeyNews): void;
  updateUi(update: UpdateUiMessage): void;
  sshError(message: string): void;
  resumed(): void;
  ended(end: SessionEnd): void;
  /** Worth telling the user, but the session goes on. */
  notice(message: string): void;
}

export interface LinkOptions {
  url: string;
  path: string;
  terminalSize(): ResizePayload;
}

const ACK_INTERVAL_MS = 50;
const ACK_STEP_BYTES = 64 * 1024;
/** Input already sent that is kept for a resume; only what was in flight when a socket died is ever re-sent. */
const RESEND_WINDOW_BYTES = 1024 * 1024;
const CONNECT_TIMEOUT_MS = 8_000;

export class SessionLink {
  private socket: LinkSocket | undefined;
  private phase: LinkPhase = 'idle';
  /** The socket has been asked for credentials and carries no session: it takes an `authenticate`. */
  private socketAwaitsAuth = false;
  private pendingLogin: AuthenticatePayload | undefined;
  /** The resume credentials: memory only, a reload must not resume someone's shell. */
  private info: SessionInfo | undefined;
  private readonly output = new OutputOffsets();
  private readonly input = new InputJournal(RESEND_WINDOW_BYTES);
  private readonly acks = new AckThrottle(
    ACK_INTERVAL_MS,
    ACK_STEP_BYTES,
    () => this.output.streamPosition,
    (offset) => this.sendAck(offset),
  );
  private readonly backoff = new ReconnectBackoff(RESUME_BACKOFF);
  /** Bumped per login, so write callbacks for an earlier session's output count for nothing. */
  private sessionNumber = 0;
  private sentSize: ResizePayload | undefined;
  /** The server asked us to hold input (its remote program is not reading): it waits in the journal. */
  private inputPaused = false;
  private lastSshError: string | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private resumeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly options: LinkOptions,
    private readonly events: LinkEvents,
  ) {}

  get currentPhase(): LinkPhase {
    return this.phase;
  }

  /** Logs in: on the current socket if it waits for credentials, else on a new one. */
  login(credentials: AuthenticatePayload): void {
    if (this.phase === 'live' || this.phase === 'reconnecting' || this.phase === 'authenticating') return;
    this.pendingLogin = credentials;
    if (this.socket?.connected && this.socketAwaitsAuth) this.sendPendingLogin();
    else this.open('login');
  }

  /** For a gateway that holds the credentials and authenticates the socket by itself. */
  connect(): void {
    this.pendingLogin = undefined;
    this.open('login');
  }

  /** Keystrokes and pastes: sent now, or queued until the session is back. */
  type(text: string): void {
    if (this.phase !== 'live' && this.phase !== 'reconnecting') return;
    this.input.type(text);
    this.flushInput();
  }

  resize(): void {
    if (this.phase === 'live') this.sendSize();
  }

  answerPrompt(response: PromptResponse): void {
    this.socket?.emit('prompt-response', response);
  }

  answerHostKey(action: HostKeyVerifyResponse['action']): void {
    this.socket?.emit('hostkey:verify-response', { action });
  }

  control(action: ControlAction): void {
    if (this.phase === 'live') this.socket?.emit('control', action);
  }

  /** While reconnecting: try now rather than at the next backoff step (the network is back). */
  retryNow(): void {
    if (this.phase !== 'reconnecting' || this.retryTimer === undefined) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.open('resume');
  }

  /** Ends the session on purpose: the goodbye makes the server close it at once. */
  close(): void {
    this.stopTimers();
    this.discardSocket();
    this.info = undefined;
    this.pendingLogin = undefined;
    this.setPhase('idle');
  }

  private open(purpose: 'login' | 'resume'): void {
    this.discardSocket();
    const socket: LinkSocket = io(this.options.url, {
      path: this.options.path,
      transports: ['websocket'],
      // Reconnecting is this class's job: a new socket, a resume as its first event.
      reconnection: false,
      forceNew: true,
      timeout: CONNECT_TIMEOUT_MS,
    });
    this.socket = socket;
    // A pause belongs to the socket that asked for it; a new one says again if it must.
    this.inputPaused = false;
    if (purpose === 'login') this.setPhase('connecting');
    socket.on('connect', () => {
      if (purpose === 'resume') this.sendResume();
    });
    socket.on('connect_error', (error) => this.connectFailed(error.message));
    socket.on('disconnect', (reason) => this.socketLost(reason));
    socket.on('authentication', (message) => this.authentication(message));
    socket.on('permissions', (permissions) => this.events.permissions(permissions));
    socket.on('getTerminal', () => this.sendSize());
    socket.on('data', (chunk) => this.data(chunk));
    socket.on('prompt', (prompt) => this.events.prompt(prompt));
    socket.on('hostkey:verify', (request) => this.events.hostKeyVerify(request));
    socket.on('hostkey:mismatch', (detail) => this.events.hostKeyNews({ kind: 'mismatch', detail }));
    socket.on('hostkey:rejected', (detail) => this.events.hostKeyNews({ kind: 'rejected', detail }));
    socket.on('hostkey:alert', (detail) => this.events.hostKeyNews({ kind: 'alert', detail }));
    socket.on('updateUI', (update) => this.events.updateUi(update));
    socket.on('ssherror', (message) => {
      this.lastSshError = message;
      this.events.sshError(message);
    });
    socket.on('session:info', (info) => {
      this.info = info;
    });
    socket.on('session:resumed', ({ offset, inputOffset }) => this.resumed(offset, inputOffset));
    socket.on('session:input-paused', () => {
      this.inputPaused = true;
    });
    socket.on('session:input-resumed', () => {
      this.inputPaused = false;
      this.flushInput();
    });
    socket.on('session:resume-failed', ({ reason, message }) => {
      if (this.phase !== 'reconnecting') return;
      clearTimeout(this.resumeTimer);
      // A racing resume or a slow worker: worth another try. The rest is final.
      if (reason === 'busy') this.reconnect();
      else this.end({ kind: 'resume-failed', message });
    });
    socket.on('session:detached', ({ reason }) => {
      // The gateway has already let go of the session (that is what detached
      // means), so the goodbye the discarded socket sends ends nothing.
      if (reason === 'gateway-shutdown' && this.phase === 'live') this.reconnect();
      else if (reason === 'taken-over') this.end({ kind: 'taken-over' });
    });
    socket.on('session:closed', (closed) => this.end({ kind: 'closed', message: describeClose(closed) }));
  }

  /** Lets go of the socket; its later events are no news to anyone. */
  private discardSocket(): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    this.socketAwaitsAuth = false;
    socket.removeAllListeners();
    socket.disconnect();
  }

  private connectFailed(message: string): void {
    if (this.phase === 'reconnecting') return this.reconnect();
    if (this.phase !== 'connecting') return;
    this.discardSocket();
    this.setPhase('idle');
    this.events.loginFailed(`Cannot reach the gateway (${message})`);
  }

  private socketLost(reason: Socket.DisconnectReason): void {
    this.socketAwaitsAuth = false;
    switch (this.phase) {
      case 'live':
        // A server that hangs up without session:detached is done with the
        // session (WebSSH2 does this when the shell exits); anything else is
        // the network or a dead gateway, and the session waits for us.
        if (reason === 'io server disconnect' || !this.info) {
          this.end({ kind: 'closed', message: this.lastSshError ?? 'Connection closed' });
        } else {
          this.reconnect();
        }
        return;
      case 'reconnecting':
        return this.reconnect();
      case 'connecting':
      case 'authenticating':
        this.setPhase('idle');
        this.events.loginFailed('The connection to the gateway was lost; try again');
        return;
      default:
        return;
    }
  }

  private authentication(message: AuthenticationMessage): void {
    switch (message.action) {
      case 'request_auth':
        this.socketAwaitsAuth = true;
        // A resume is under way instead; the socket still takes a login should it fail.
        if (this.phase !== 'connecting' && this.phase !== 'idle') return;
        if (this.pendingLogin) return this.sendPendingLogin();
        this.setPhase('idle');
        this.events.credentialsWanted('request');
        return;
      case 'auth_result':
        if (message.success) return this.loggedIn();
        this.socketAwaitsAuth = true;
        this.setPhase('idle');
        this.events.loginFailed(message.message);
        return;
      case 'reauth':
        // This socket's session stays as it is on the server, and a login
        // needs a socket without one: end it and start afresh.
        this.close();
        this.events.credentialsWanted('reauth');
        return;
    }
  }

  private sendPendingLogin(): void {
    const credentials = this.pendingLogin;
    if (!credentials || !this.socket) return;
    this.pendingLogin = undefined;
    this.socketAwaitsAuth = false;
    this.lastSshError = undefined;
    this.setPhase('authenticating');
    this.socket.emit('authenticate', credentials);
  }

  private loggedIn(): void {
    this.sessionNumber++;
    this.output.restart();
    this.input.restart();
    this.acks.restart();
    this.backoff.reset();
    this.socketAwaitsAuth = false;
    this.pendingLogin = undefined;
    this.info = undefined;
    this.sentSize = undefined;
    this.setPhase('live');
    this.events.loggedIn();
  }

  private data(chunk: BinaryFrame | string): void {
    if (typeof chunk === 'string') return this.events.execOutput(chunk);
    const fresh = this.output.accept(new Uint8Array(chunk));
    if (!fresh) return;
    const sessionNumber = this.sessionNumber;
    const end = this.output.received;
    this.events.output(fresh, () => {
      if (sessionNumber === this.sessionNumber) this.acks.renderedUpTo(end);
    });
  }

  private sendAck(offset: number): boolean {
    if (this.phase !== 'live' || !this.socket?.connected) return false;
    this.socket.emit('session:ack', { offset });
    return true;
  }

  private sendSize(): void {
    const size = this.options.terminalSize();
    if (!this.socket) return;
    // The first size answers getTerminal; later ones are resizes.
    if (this.sentSize === undefined) this.socket.emit('terminal', size);
    else if (size.cols !== this.sentSize.cols || size.rows !== this.sentSize.rows) this.socket.emit('resize', size);
    else return;
    this.sentSize = size;
  }

  private flushInput(): void {
    if (this.phase !== 'live' || this.inputPaused || !this.socket?.connected) return;
    for (const piece of this.input.takeUnsent(INPUT_PIECE_BYTES)) this.socket.emit('data', piece);
  }

  /** The socket is gone but the session is not: get it back through whichever gateway answers. */
  private reconnect(): void {
    this.stopTimers();
    this.acks.stop();
    this.discardSocket();
    if (!this.info) return this.end({ kind: 'closed', message: this.lastSshError ?? 'Connection lost' });
    this.setPhase('reconnecting');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.open('resume');
    }, this.backoff.next());
  }

  private sendResume(): void {
    const { socket, info } = this;
    if (!socket || !info) return;
    socket.emit('session:resume', {
      sessionId: info.sessionId,
      resumeToken: info.resumeToken,
      offset: this.output.received,
      inputOffset: this.input.sent,
    });
    this.resumeTimer = setTimeout(() => this.reconnect(), PAGE_RESUME_PATIENCE_MS);
  }

  private resumed(offset: number, inputOffset: number): void {
    if (this.phase !== 'reconnecting') return;
    clearTimeout(this.resumeTimer);
    this.backoff.reset();
    const lostOutput = this.output.resumedAt(offset);
    const lostInput = this.input.rewindTo(inputOffset);
    this.acks.resumedAt(offset);
    this.setPhase('live');
    this.events.resumed();
    if (lostOutput > 0) this.events.notice(`${lostOutput} bytes of output were lost while reconnecting`);
    if (lostInput > 0) this.events.notice(`${lostInput} bytes of typed input were lost while reconnecting`);
    // The window may have changed size meanwhile, and input may be waiting.
    this.sendSize();
    this.flushInput();
  }

  private end(end: SessionEnd): void {
    this.stopTimers();
    this.acks.stop();
    this.info = undefined;
    this.setPhase('ended');
    this.events.ended(end);
  }

  private stopTimers(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.resumeTimer);
    this.retryTimer = undefined;
    this.resumeTimer = undefined;
  }

  private setPhase(phase: LinkPhase): void {
    if (phase === this.phase) return;
    this.phase = phase;
    this.events.phase(phase);
  }
}

function describeClose({ reason, exitCode, signal }: SessionClosed): string {
  if (signal) return `${reason} (signal ${signal})`;
  if (exitCode !== undefined) return `${reason} (exit code ${exitCode})`;
  return reason;
}
