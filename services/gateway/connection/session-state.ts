/**
 * A connection's session as this gateway knows it, in one place: what the
 * login flow, the resume flow and the terminal streams read and change.
 *
 *   awaiting-auth -> placing -> logging-in -> live -> gone
 *   awaiting-auth -> resuming -> live -> gone
 *   (a failed login or resume goes back to awaiting-auth)
 */
export type Phase = 'awaiting-auth' | 'placing' | 'logging-in' | 'resuming' | 'live' | 'gone';

export interface Target {
  username: string;
  host: string;
  port: number;
}

export class SessionState {
  phase: Phase = 'awaiting-auth';
  sid: string | undefined;
  target: Target | undefined;
  /** Handed to the client once, in `session:info`; only its hash is stored. */
  resumeToken = '';
  /** The hash of the session's current resume token. */
  tokenHash = '';
  /** Set when the socket came from `/ssh/host/:host`: every login on it must go there. */
  lockedTarget: { host: string; port: number } | undefined;

  /** Whether the session is live: the only phase in which terminal traffic flows. */
  get live(): boolean {
    return this.phase === 'live';
  }
}
