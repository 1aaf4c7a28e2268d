/**
 * The page's end of the protocol: one SSH session over a succession of
 * Socket.IO sockets. It logs in (webssh2-server-api.md), and when a socket is
 * lost it opens a new one to the same address, where a load balancer may
 * pick any gateway, and resumes (session-extension.md) with its output and
 * input offsets, so every output byte reaches the terminal once and every
 * typed byte reaches the SSH session once. No DOM here: what the user sees is
 * decided by whoever listens to the events (link-events.ts). The bytes are
 * counted in terminal-traffic.ts; each socket is made in gateway-socket.ts.
 *
 *   idle -> connecting -> authenticating -> live -> ended
 *                                           live -> reconnecting -> live
 */
import type { Socket } from 'socket.io-client';
import type { AuthenticationMessage, BinaryFrame, SessionClosed, SessionInfo } from '../../shared/protocol/events.js';
import { PAGE_RESUME_PATIENCE_MS } from '../../shared/protocol/limits.js';
import type { AuthenticatePayload, ControlAction, HostKeyVerifyResponse, PromptResponse } from '../../shared/protocol/inbound.js';
import type { LinkEvents, LinkOptions, LinkPhase, SessionEnd } from './link-events.js';
import { openGatewaySocket, type GatewaySocket } from './gateway-socket.js';
import { ReconnectBackoff, RESUME_BACKOFF } from './reconnect-backoff.js';
import { TerminalTraffic } from './terminal-traffic.js';

export type { HostKeyNews, LinkEvents, LinkOptions, LinkPhase, SessionEnd } from './link-events.js';

export class SessionLink {
  private socket: GatewaySocket | undefined;
  private phase: LinkPhase = 'idle';
  /** The socket has been asked for credentials and carries no session: it takes an `authenticate`. */
  private socketAwaitsAuth = false;
  private pendingLogin: AuthenticatePayload | undefined;
  /** The resume credentials: memory only, a reload must not resume someone's shell. */
  private info: SessionInfo | undefined;
  private readonly traffic = new TerminalTraffic({
    canSend: () => this.phase === 'live' && this.socket?.connected === true,
    ack: (offset) => this.socket?.emit('session:ack', { offset }),
    input: (piece) => this.socket?.emit('data', piece),
    terminal: (size) => this.socket?.emit('terminal', size),
    resize: (size) => this.socket?.emit('resize', size),
  });
  private readonly backoff = new ReconnectBackoff(RESUME_BACKOFF);
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
    this.traffic.type(text);
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
    const socket = openGatewaySocket(this.options, this.events);
    this.socket = socket;
    // A pause belongs to the socket that asked for it; a new one says again if it must.
    this.traffic.newSocket();
    if (purpose === 'login') this.setPhase('connecting');
    socket.on('connect', () => {
      if (purpose === 'resume') this.sendResume();
    });
    socket.on('connect_error', (error) => this.connectFailed(error.message));
    socket.on('disconnect', (reason) => this.socketLost(reason));
    socket.on('authentication', (message) => this.authentication(message));
    socket.on('getTerminal', () => this.sendSize());
    socket.on('data', (chunk) => this.data(chunk));
    socket.on('ssherror', (message) => {
      this.lastSshError = message;
      this.events.sshError(message);
    });
    socket.on('session:info', (info) => {
      this.info = info;
    });
    socket.on('session:resumed', ({ offset, inputOffset }) => this.resumed(offset, inputOffset));
    socket.on('session:input-paused', () => this.traffic.pauseInput());
    socket.on('session:input-resumed', () => this.traffic.resumeInput());
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
    this.traffic.restart();
    this.backoff.reset();
    this.socketAwaitsAuth = false;
    this.pendingLogin = undefined;
    this.info = undefined;
    this.setPhase('live');
    this.events.loggedIn();
  }

  private data(chunk: BinaryFrame | string): void {
    if (typeof chunk === 'string') return this.events.execOutput(chunk);
    this.traffic.received(chunk, (bytes, rendered) => this.events.output(bytes, rendered));
  }

  private sendSize(): void {
    if (this.socket) this.traffic.sendSize(this.options.terminalSize());
  }

  /** The socket is gone but the session is not: get it back through whichever gateway answers. */
  private reconnect(): void {
    this.stopTimers();
    this.traffic.stopAcks();
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
      offset: this.traffic.outputOffset,
      inputOffset: this.traffic.inputOffset,
    });
    this.resumeTimer = setTimeout(() => this.reconnect(), PAGE_RESUME_PATIENCE_MS);
  }

  private resumed(offset: number, inputOffset: number): void {
    if (this.phase !== 'reconnecting') return;
    clearTimeout(this.resumeTimer);
    this.backoff.reset();
    const { lostOutput, lostInput } = this.traffic.resumedAt(offset, inputOffset);
    this.setPhase('live');
    this.events.resumed();
    if (lostOutput > 0) this.events.notice(`${lostOutput} bytes of output were lost while reconnecting`);
    if (lostInput > 0) this.events.notice(`${lostInput} bytes of typed input were lost while reconnecting`);
    // The window may have changed size meanwhile, and input may be waiting.
    this.sendSize();
    this.traffic.flushInput();
  }

  private end(end: SessionEnd): void {
    this.stopTimers();
    this.traffic.stopAcks();
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
