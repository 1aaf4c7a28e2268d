/**
 * The all-in-one mode's session store: the same claim, renew and release
 * rules as the Lua scripts, on Maps with expiry times. What Redis forgets by
 * TTL is swept here as well: a long-running process sees millions of
 * sessions end, and a note kept until someone asks about it would stay for
 * ever.
 */
import type { InboxAddress } from '../bus/messages.js';
import {
  ENDED_NOTE_TTL_MS,
  type ClaimResult,
  type Lease,
  type NewSession,
  type ProvenOwner,
  type RenewStatus,
  type RotateResult,
  type SessionLookup,
  type SessionStore,
} from './session-store.js';

interface Entry {
  session: NewSession;
  owner?: InboxAddress;
  ownerProof?: string;
  priorTokenHash?: string;
  fence?: number;
  expiresAt: number;
}

export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, Entry>();
  private readonly ended = new Map<string, { reason: string; expiresAt: number }>();
  private fenceCounter = 0;

  constructor(private readonly endedNoteTtlMs = ENDED_NOTE_TTL_MS) {}

  async create(session: NewSession, ttlMs: number): Promise<void> {
    this.entries.set(session.sid, { session, expiresAt: Date.now() + ttlMs });
  }

  async remove(sid: string): Promise<void> {
    this.entries.delete(sid);
  }

  async claim(sid: string, owner: ProvenOwner, ttlMs: number): Promise<ClaimResult> {
    const entry = this.live(sid);
    if (!entry) return { status: 'gone' };
    if (entry.owner) return { status: 'taken' };
    entry.owner = owner.inbox;
    entry.ownerProof = owner.proof;
    entry.fence = ++this.fenceCounter;
    entry.expiresAt = Date.now() + ttlMs;
    return { status: 'claimed', fence: entry.fence };
  }

  async reinstate(session: NewSession, lease: Lease, owner: ProvenOwner, ttlMs: number): Promise<void> {
    if (this.live(session.sid)) return;
    this.entries.set(session.sid, { session, owner: owner.inbox, ownerProof: owner.proof, fence: lease.fence, expiresAt: Date.now() + ttlMs });
  }

  async renew(owner: InboxAddress, leases: readonly Lease[], ttlMs: number): Promise<RenewStatus[]> {
    return leases.map(({ sid, fence }) => {
      const entry = this.live(sid);
      if (!entry) return 'gone';
      if (entry.owner !== owner || entry.fence !== fence) return 'lost';
      entry.expiresAt = Date.now() + ttlMs;
      return 'renewed';
    });
  }

  async release(owner: InboxAddress, { sid, fence }: Lease, reason: string): Promise<void> {
    const entry = this.live(sid);
    if (!entry || entry.owner !== owner || entry.fence !== fence) return;
    this.entries.delete(sid);
    this.sweepEnded();
    this.ended.set(sid, { reason, expiresAt: Date.now() + this.endedNoteTtlMs });
  }

  async lookup(sid: string): Promise<SessionLookup> {
    const entry = this.live(sid);
    if (entry?.owner) {
      return { status: 'live', owner: entry.owner, ownerProof: entry.ownerProof, tokenHash: entry.session.tokenHash, priorTokenHash: entry.priorTokenHash };
    }
    if (entry) return { status: 'pending' };
    const ended = this.ended.get(sid);
    if (ended && ended.expiresAt > Date.now()) return { status: 'ended', reason: ended.reason };
    this.ended.delete(sid);
    return { status: 'unknown' };
  }

  async rotateToken(sid: string, expected: string, next: string, gateway: InboxAddress): Promise<RotateResult> {
    const entry = this.live(sid);
    if (!entry) return 'gone';
    if (entry.session.tokenHash !== expected && entry.priorTokenHash !== expected) return 'changed';
    entry.session = { ...entry.session, tokenHash: next, gateway };
    entry.priorTokenHash = expected;
    return 'rotated';
  }

  async confirmToken(sid: string, tokenHash: string): Promise<void> {
    const entry = this.live(sid);
    if (entry?.session.tokenHash === tokenHash) entry.priorTokenHash = undefined;
  }

  /**
   * Every note lives endedNoteTtlMs from when it was made, so the Map's
   * insertion order is expiry order: the sweep stops at the first live one.
   */
  private sweepEnded(): void {
    const now = Date.now();
    for (const [sid, note] of this.ended) {
      if (note.expiresAt > now) return;
      this.ended.delete(sid);
    }
  }

  private live(sid: string): Entry | undefined {
    const entry = this.entries.get(sid);
    if (entry && entry.expiresAt <= Date.now()) {
      this.entries.delete(sid);
      return undefined;
    }
    return entry;
  }
}
