/**
 * The brute-force lock: refused logins to one target, from any client and
 * through any gateway, lock it for the window. A target is who is logged in
 * where, as connected to: the user, the resolved address (in its one
 * canonical spelling) and the port, so `127.1`, `0x7f000001` and
 * `::ffff:7f00:1` are one target, not three.
 *
 * Each login takes a slot before it connects and gives it back with its
 * outcome, and the check and the count are one step: of fifty guesses sent
 * at once against a limit of ten, ten are tried.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Config } from '../../shared/config/schema.js';
import type { AttemptSlots, SlotPolicy } from '../../shared/limits/attempt-slots.js';
import { canonicalAddress } from '../../shared/net/addresses.js';

export interface LockTarget {
  username: string;
  /** The address connected to (any spelling; it is made canonical). */
  address: string;
  port: number;
}

/** A login's hold on its target: settle it once with the outcome. */
export interface LockReservation {
  /** The server refused the credentials: it counts against the target. */
  rejected(): Promise<void>;
  /** Anything else: the attempt does not count. */
  released(): Promise<void>;
}

export interface TargetLock {
  /** A reservation, or the refusal to give the user. */
  reserve(target: LockTarget, shownAs: string): Promise<LockReservation | string>;
}

export class SlotTargetLock implements TargetLock {
  constructor(private readonly slots: AttemptSlots) {}

  async reserve(target: LockTarget, shownAs: string): Promise<LockReservation | string> {
    const key = targetKey(target);
    const id = randomUUID();
    const refusal = await this.slots.take(key, id);
    if (refusal?.why === 'failures') return `Too many failed logins for ${shownAs}; try again in ${Math.max(1, Math.ceil(refusal.retryInMs / 1000))} s`;
    if (refusal?.why === 'busy') return `Too many logins to ${shownAs} under way at once; try again in a moment`;
    return {
      rejected: () => this.slots.release(key, id, true),
      released: () => this.slots.release(key, id, false),
    };
  }
}

/** The lock's numbers: the limit and window of failures, and how long a login can hold its slot. */
export function targetLockPolicy(config: Pick<Config, 'limits' | 'ssh'>): SlotPolicy {
  return { limit: config.limits.loginFailuresPerTarget, holdMs: config.ssh.loginTimeoutMs + 5_000, failureWindowMs: config.limits.loginWindowMs };
}

/** Usernames are client input of any length: the key is a fixed-size digest. */
function targetKey({ username, address, port }: LockTarget): string {
  return createHash('sha256').update(`${username}\u0000${canonicalAddress(address)}\u0000${port}`).digest('base64url').slice(0, 22);
}
