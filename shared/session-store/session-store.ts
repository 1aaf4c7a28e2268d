/**
 * The cluster's record of each session, and the lease that says which worker
 * owns it. The gateway creates the record when it asks for a session; the
 * worker that takes the job claims it and gets a fencing token (a number that
 * only grows), then keeps the lease alive by heartbeat. A second worker that
 * got the same job by accident fails to claim and walks away.
 */
import type { InboxAddress } from '../bus/messages.js';

export interface NewSession {
  sid: string;
  gateway: InboxAddress;
  tokenHash: string;
  username: string;
  host: string;
  port: number;
}

/**
 * A worker inbox and the proof, made with the cluster secret, that it owns
 * the session (crypto/ownership-proof.ts): gateways send to it only if the
 * proof holds.
 */
export interface ProvenOwner {
  inbox: InboxAddress;
  proof: string;
}

export type ClaimResult = { status: 'claimed'; fence: number } | { status: 'gone' } | { status: 'taken' };

/** Per lease: renewed, gone (the record vanished), or lost (someone else owns it now). */
export type RenewStatus = 'renewed' | 'gone' | 'lost';

export interface Lease {
  sid: string;
  fence: number;
}

/** What a resume needs to know about a session. */
export type SessionLookup =
  | {
      status: 'live';
      owner: InboxAddress;
      ownerProof: string | undefined;
      tokenHash: string;
      /** The token the last resume replaced, while its client has not shown it received the new one. */
      priorTokenHash: string | undefined;
    }
  /** Not yet claimed by a worker (still logging in). */
  | { status: 'pending' }
  /** Ended recently, for `reason`. */
  | { status: 'ended'; reason: string }
  | { status: 'unknown' };

export type RotateResult = 'rotated' | 'gone' | 'changed';

/** How long a note of an ended session is kept for late resume attempts, by default (FLEET_ENDED_NOTE_TTL_MS). */
export const ENDED_NOTE_TTL_MS = 15 * 60_000;

export interface SessionStore {
  /** Gateway: the record of a session waiting for a worker; expires after `ttlMs` unless claimed. */
  create(session: NewSession, ttlMs: number): Promise<void>;
  /** Gateway: forget a session no worker took. */
  remove(sid: string): Promise<void>;
  /** Worker: take ownership; the lease then lives `ttlMs` unless renewed. */
  claim(sid: string, owner: ProvenOwner, ttlMs: number): Promise<ClaimResult>;
  /** Worker: put back the record of a live session Redis lost; never overwrites. */
  reinstate(session: NewSession, lease: Lease, owner: ProvenOwner, ttlMs: number): Promise<void>;
  /** Worker: renew many leases in one round trip. */
  renew(owner: InboxAddress, leases: readonly Lease[], ttlMs: number): Promise<RenewStatus[]>;
  /** Worker: the session ended; delete its record if we still own it, noting why. */
  release(owner: InboxAddress, lease: Lease, reason: string): Promise<void>;
  /** Gateway: the session's owner (with its proof, to check) and token hash, for a resume. */
  lookup(sid: string): Promise<SessionLookup>;
  /**
   * Gateway: a client presented a token matching `expected` (the newest or
   * the prior hash): `next` becomes the newest, `expected` the prior, and
   * the gateway is recorded as carrying the session. 'changed' when
   * `expected` is neither any more (compare-and-set).
   */
  rotateToken(sid: string, expected: string, next: string, gateway: InboxAddress): Promise<RotateResult>;
  /** Gateway: the client has shown it received `tokenHash`; the prior token stops working. */
  confirmToken(sid: string, tokenHash: string): Promise<void>;
}
