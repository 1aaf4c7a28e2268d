/** Hand-off storage for the all-in-one process, with the same expiry rule as Redis. */
import type { HandoffStorage } from './credential-handoff.js';

export class MemoryHandoffStorage implements HandoffStorage {
  private readonly entries = new Map<string, { sealed: string; expiresAt: number }>();

  constructor(private readonly maxPending: number) {}

  async put(key: string, sealed: string, ttlMs: number): Promise<boolean> {
    this.dropExpired();
    if (this.entries.size >= this.maxPending) return false;
    this.entries.set(key, { sealed, expiresAt: Date.now() + ttlMs });
    return true;
  }

  async take(key: string): Promise<string | undefined> {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    return entry && entry.expiresAt > Date.now() ? entry.sealed : undefined;
  }

  /**
   * Deposits nobody took would otherwise pile up. Every deposit has the
   * same TTL, so the Map's insertion order is expiry order and the sweep
   * stops at the first live entry.
   */
  private dropExpired(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) return;
      this.entries.delete(key);
    }
  }
}
