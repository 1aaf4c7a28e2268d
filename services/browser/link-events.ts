/**
 * What a SessionLink tells the page, and what it needs from it: the link
 * holds no DOM, so everything the user sees goes through these.
 */
import type {
  HostKeyInfo,
  HostKeyMismatch,
  HostKeyRejected,
  HostKeyVerifyRequest,
  Permissions,
  PromptMessage,
  UpdateUiMessage,
} from '../../shared/protocol/events.js';
import type { ResizePayload } from '../../shared/protocol/inbound.js';

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
