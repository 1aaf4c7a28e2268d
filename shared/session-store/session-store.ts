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

export type ClaimResult = { status: 'claimed'; fence: number } | { status: 'gone' } | { status: 'taken' };

/** Per lease: renewed, gone (the record vanished), or lost (someone else owns it now). */
export type RenewStatus = 'renewed' | 'gone' | 'lost';

export interface Lease {
  sid: string;
  fence: number;
}

export interface SessionStore {
  /** Gateway: the record of a session waiting for a worker; expires after `ttlMs` unless claimed. */
  create(session: NewSession, ttlMs: number): Promise<void>;
  /** Gateway: forget a session no worker took. */
  remove(sid: string): Promise<void>;
  /** Worker: take ownership; the lease then lives `ttlMs` unless renewed. */
  claim(sid: string, owner: InboxAddress, ttlMs: number): Promise<ClaimResult>;
  /** Worker: renew many leases in one round trip. */
  renew(owner: InboxAddress, leases: readonly Lease[], ttlMs: number): Promise<RenewStatus[]>;
  /** Worker: the session ended; delete its record if we still own it. */
  release(owner: InboxAddress, lease: Lease): Promise<void>;
}
