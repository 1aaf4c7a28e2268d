/**
 * The browser protocol as TypeScript event maps: WebSSH2's Socket.IO API
 * (spec/webssh2-server-api.md) plus the additive session extension
 * (spec/session-extension.md). The gateway's Socket.IO server and every
 * client (tests, benchmark, the page) are typed from these maps.
 */
import type {
  AuthenticatePayload,
  HostKeyVerifyResponse,
  PromptResponse,
  ControlAction,
  ExecPayload,
  ResizePayload,
  SessionResumePayload,
  TerminalPayload,
} from './inbound.js';

export const SOCKET_IO_PATH = '/ssh/socket.io';

/**
 * Terminal bytes on the wire: the server emits a Buffer; socket.io-client
 * hands the frame to a browser as an ArrayBuffer and to Node as a Buffer.
 */
export type BinaryFrame = Uint8Array | ArrayBuffer;

export type AuthenticationMessage =
  | { action: 'request_auth' }
  | { action: 'auth_result'; success: true }
  | { action: 'auth_result'; success: false; message: string }
  | { action: 'reauth' };

export interface Permissions {
  autoLog: boolean;
  allowReplay: boolean;
  allowReconnect: boolean;
  allowReauth: boolean;
}

/** One field of a prompt dialog (WebSSH2 5.x's generic prompt shape). */
export interface PromptField {
  id: string;
  label: string;
  type: 'text' | 'password';
  required: boolean;
}

export interface PromptButton {
  action: string;
  label: string;
  variant?: 'primary' | 'secondary';
}

/**
 * One keyboard-interactive round, shown to the user as a dialog. The shape is
 * WebSSH2 5.x's `prompt` so its stock client renders it; the answer comes back
 * as `prompt-response {id, action:'submit', inputs:{<field id>: answer}}`.
 */
export interface PromptMessage {
  id: string;
  type: 'input';
  title: string;
  message: string;
  inputs: PromptField[];
  buttons: PromptButton[];
  autoFocus: boolean;
}

export type UiElement = 'footer' | 'status' | 'header';
export interface UpdateUiMessage {
  element: UiElement;
  value: string;
}

export interface ExecDataMessage {
  type: 'stdout' | 'stderr';
  data: string;
}
export interface ExecExitMessage {
  code: number | null;
  signal: string | null;
}

export interface SessionInfo {
  sessionId: string;
  resumeToken: string;
  detachTimeoutMs: number;
  replayBytes: number;
}

export type ResumeFailureReason = 'unknown' | 'expired' | 'forbidden' | 'offset-gone' | 'busy';
export type DetachReason = 'taken-over' | 'gateway-shutdown';

export interface SessionClosed {
  reason: string;
  exitCode?: number;
  signal?: string;
}

/**
 * Host key verification, as WebSSH2 names and shapes it (its README, "Socket
 * Protocol Reference"), so its stock client shows our prompts and warnings.
 * `fingerprint` is OpenSSH's `SHA256:...`; `algorithm` is the key's type.
 */
export interface HostKeyInfo {
  host: string;
  port: number;
  algorithm: string;
  fingerprint: string;
}

/** An unknown key: accept or reject it with `hostkey:verify-response`. */
export interface HostKeyVerifyRequest extends HostKeyInfo {
  /** The key blob, base64 (what known_hosts holds). */
  key: string;
}

export interface HostKeyVerified extends HostKeyInfo {
  /** `server`: the cluster's trust store knew the key; `client`: the user accepted it. */
  source: 'server' | 'client';
}

/** The key differs from the trusted one: the connection is refused. */
export interface HostKeyMismatch extends HostKeyInfo {
  /** Equal to `fingerprint` (the stock client reads that name, WebSSH2's server sends this one). */
  presentedFingerprint: string;
  storedFingerprint: string;
  source: 'server';
}

/** An unknown key refused by policy (`unknownKeyAction: reject`). */
export interface HostKeyRejected extends HostKeyInfo {
  reason: string;
}

export interface ServerToClientEvents {
  authentication: (message: AuthenticationMessage) => void;
  permissions: (permissions: Permissions) => void;
  getTerminal: (ask: true) => void;
  /** Shell output as a binary frame; exec output as a string. */
  data: (chunk: BinaryFrame | string) => void;
  ssherror: (message: string) => void;
  updateUI: (update: UpdateUiMessage) => void;
  prompt: (prompt: PromptMessage) => void;
  'exec-data': (message: ExecDataMessage) => void;
  'exec-exit': (message: ExecExitMessage) => void;
  'session:info': (info: SessionInfo) => void;
  'session:resumed': (resumed: { offset: number; inputOffset: number }) => void;
  'session:resume-failed': (failure: { reason: ResumeFailureReason; message: string }) => void;
  'session:detached': (detached: { reason: DetachReason }) => void;
  'session:closed': (closed: SessionClosed) => void;
  /** The remote side is not taking input: hold it (it is not lost if held) until `session:input-resumed`. */
  'session:input-paused': (state: { inputOffset: number }) => void;
  'session:input-resumed': (state: { inputOffset: number }) => void;
  'hostkey:verify': (request: HostKeyVerifyRequest) => void;
  'hostkey:verified': (verified: HostKeyVerified) => void;
  'hostkey:mismatch': (mismatch: HostKeyMismatch) => void;
  /** An unknown key let through (`unknownKeyAction: alert`): tell the user. */
  'hostkey:alert': (alert: HostKeyInfo) => void;
  'hostkey:rejected': (rejected: HostKeyRejected) => void;
}

export interface ClientToServerEvents {
  authenticate: (credentials: AuthenticatePayload) => void;
  terminal: (spec: TerminalPayload) => void;
  data: (input: string) => void;
  resize: (size: ResizePayload) => void;
  control: (action: ControlAction) => void;
  'prompt-response': (answer: PromptResponse) => void;
  exec: (request: ExecPayload) => void;
  'session:ack': (ack: { offset: number }) => void;
  'session:resume': (resume: SessionResumePayload) => void;
  'hostkey:verify-response': (response: HostKeyVerifyResponse) => void;
}

/**
 * What the gateway actually receives: the client's map with every argument
 * untrusted, so a handler cannot skip the zod parse.
 */
export type UntrustedEvents<Events> = {
  [E in keyof Events]: (...args: unknown[]) => void;
};
