/**
 * Attempts in progress, limited per key, with recent failures counted
 * against the same limit: the shape of both "logins under way from one
 * client address" (nothing fails there) and "logins to one target" (where a
 * refused password counts for the window). Taking a slot checks and counts
 * in one step, so many attempts at once cannot all slip under the limit; a
 * slot whose holder died lapses by itself.
 *
 * Redis in a cluster (a Lua script per step), a Map in the all-in-one process.
 */
import { readFileSync } from 'node:fs';
import type { RedisClient } from '../redis/connection.js';

export interface SlotPolicy {
  limit: number;
  /** A slot lapses this long after it was taken, if its holder never gives it back. */
  holdMs: number;
  /** A failure counts for this long after the first one of its window. */
  failureWindowMs: number;
}

/** Why a slot was refused: too many recent failures (until they expire), or too many attempts under way. */
export type SlotRefusal = { why: 'failures'; retryInMs: number } | { why: 'busy' };

export interface AttemptSlots {
  /** Takes a slot under `key` for the attempt `id`; undefined when taken, else why not. */
  take(key: string, id: string): Promise<SlotRefusal | undefined>;
  /** Gives the slot back; a `failed` attempt counts against the key for the failure window. */
  release(key: string, id: string, failed: boolean): Promise<void>;
}

/** Where one key's counters live in Redis; both in one hash slot (Redis Cluster). */
export type SlotKeys = (key: string) => { failures: string; slots: string };

interface SlotScripts {
  takeSlot(failuresKey: string, slotsKey: string, limit: number, id: string, now: number, holdMs: number): Promise<[number, number]>;
  releaseSlot(failuresKey: string, slotsKey: string, id: string, failed: '1' | '0', windowMs: number): Promise<number>;
}

function withScripts(redis: RedisClient): RedisClient & SlotScripts {
  for (const [name, file] of [['takeSlot', 'take-slot-2.lua'], ['releaseSlot', 'release-slot-2.lua']] as const) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 2, lua: readFileSync(new URL(`./scripts/${file}`, import.meta.url), 'utf8') });
  }
  return redis as RedisClient & SlotScripts;
}

export class RedisAttemptSlots implements AttemptSlots {
  private readonly redis: RedisClient & SlotScripts;

  constructor(redis: RedisClient, private readonly keys: SlotKeys, private readonly policy: SlotPolicy) {
    this.redis = withScripts(redis);
  }

  async take(key: string, id: string): Promise<SlotRefusal | undefined> {
    const { failures, slots } = this.keys(key);
    const [taken, retryInMs] = await this.redis.takeSlot(failures, slots, this.policy.limit, id, Date.now(), this.policy.holdMs);
    if (taken === 1) return undefined;
    return taken === 0 ? { why: 'failures', retryInMs: Math.max(0, retryInMs) } : { why: 'busy' };
  }

  async release(key: string, id: string, failed: boolean): Promise<void> {
    const { failures, slots } = this.keys(key);
    await this.redis.releaseSlot(failures, slots, id, failed ? '1' : '0', this.policy.failureWindowMs);
  }
}

interface MemoryEntry {
  failures: number;
  failuresExpireAt: number;
  slots: Map<string, number>;
}

export class MemoryAttemptSlots implements AttemptSlots {
  private readonly entries = new Map<string, MemoryEntry>();

  constructor(private readonly policy: SlotPolicy) {}

  async take(key: string, id: string): Promise<SlotRefusal | undefined> {
    const now = Date.now();
    this.sweep(now);
    const entry = this.entry(key, now);
    if (entry.failures >= this.policy.limit) return { why: 'failures', retryInMs: entry.failuresExpireAt - now };
    if (entry.failures + entry.slots.size >= this.policy.limit) return { why: 'busy' };
    entry.slots.set(id, now + this.policy.holdMs);
    return undefined;
  }

  async release(key: string, id: string, failed: boolean): Promise<void> {
    const now = Date.now();
    const entry = this.entry(key, now);
    entry.slots.delete(id);
    if (failed) {
      if (entry.failures === 0) entry.failuresExpireAt = now + this.policy.failureWindowMs;
      entry.failures++;
    }
    if (entry.failures === 0 && entry.slots.size === 0) this.entries.delete(key);
  }

  /**
   * Forgets the least recently used entries once nothing in them counts any
   * more, a few per call, so keys tried once are not kept for ever.
   */
  private sweep(now: number): void {
    let looked = 0;
    for (const [key, entry] of this.entries) {
      if (++looked > 4) return;
      const failuresCount = entry.failures > 0 && entry.failuresExpireAt > now;
      const slotsHeld = [...entry.slots.values()].some((lapsesAt) => lapsesAt > now);
      if (failuresCount || slotsHeld) return;
      this.entries.delete(key);
    }
  }

  /** The key's entry with lapsed slots and expired failures dropped (created empty if missing). */
  private entry(key: string, now: number): MemoryEntry {
    // Re-inserted on every use: the Map's order is then least recently used first, as sweep() needs.
    const entry = this.entries.get(key) ?? { failures: 0, failuresExpireAt: 0, slots: new Map<string, number>() };
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (entry.failures > 0 && entry.failuresExpireAt <= now) entry.failures = 0;
    for (const [slot, lapsesAt] of entry.slots) if (lapsesAt <= now) entry.slots.delete(slot);
    return entry;
  }
}
