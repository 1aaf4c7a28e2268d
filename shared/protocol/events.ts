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
import type {
  ExecDataMessage,
  ExecExitMessage,
  HostKeyInfo,
  HostKeyMismatch,
  HostKeyRejected,
  HostKeyVerified,
  HostKeyVerifyRequest,
  PromptMessage,
  DetachReason,
  ResumeFailureReason,
  UpdateUiMessage,
} from './outbound.js';

export type * from './outbound.js';

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

export interface SessionInfo {
  sessionId: string;
  resumeToken: string;
  detachTimeoutMs: number;
  replayBytes: number;
}


export interface SessionClosed {
  reason: string;
  exitCode?: number;
  signal?: string;
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
