/**
 * The all-in-one mode's session store: the same claim, renew and release
 * rules as the Lua scripts, on a Map with expiry times.
 */
import type { InboxAddress } from '../bus/messages.js';
import type { ClaimResult, Lease, NewSession, RenewStatus, SessionStore } from './session-store.js';

interface Entry {
  session: NewSession;
  owner?: InboxAddress;
  fence?: number;
  expiresAt: number;
}

export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, Entry>();
  private fenceCounter = 0;

  async create(session: NewSession, ttlMs: number): Promise<void> {
    this.entries.set(session.sid, { session, expiresAt: Date.now() + ttlMs });
  }

  async remove(sid: string): Promise<void> {
    this.entries.delete(sid);
  }

  async claim(sid: string, owner: InboxAddress, ttlMs: number): Promise<ClaimResult> {
    const entry = this.live(sid);
    if (!entry) return { status: 'gone' };
    if (entry.owner) return { status: 'taken' };
    entry.owner = owner;
    entry.fence = ++this.fenceCounter;
    entry.expiresAt = Date.now() + ttlMs;
    return { status: 'claimed', fence: entry.fence };
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

  async release(owner: InboxAddress, { sid, fence }: Lease): Promise<void> {
    const entry = this.live(sid);
    if (entry && entry.owner === owner && entry.fence === fence) this.entries.delete(sid);
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
