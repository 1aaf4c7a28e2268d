/**
 * Hand-off storage in Redis: a string with a TTL, taken once (GETDEL), and a
 * sorted set of those pending, so their number is bounded across the
 * cluster. Both keys share a Redis Cluster slot through the `{handoffs}` tag.
 */
import { readFileSync } from 'node:fs';
import type { RedisClient } from '../redis/connection.js';
import type { KeyLayout } from '../bus/keys.js';
import type { HandoffStorage } from './credential-handoff.js';

interface HandoffScripts {
  depositHandoff(key: string, index: string, sealed: string, ttlMs: number, now: number, maxPending: number): Promise<number>;
  takeHandoff(key: string, index: string): Promise<string | null>;
}

export class RedisHandoffStorage implements HandoffStorage {
  private readonly redis: RedisClient & HandoffScripts;

  constructor(
    redis: RedisClient,
    private readonly keys: KeyLayout,
    private readonly maxPending: number,
  ) {
    for (const [name, file] of [['depositHandoff', 'deposit-handoff-2.lua'], ['takeHandoff', 'take-handoff-2.lua']] as const) {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 2, lua: readFileSync(new URL(`./scripts/${file}`, import.meta.url), 'utf8') });
    }
    this.redis = redis as RedisClient & HandoffScripts;
  }

  async put(key: string, sealed: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.depositHandoff(this.keys.handoff(key), this.keys.pendingHandoffs(), sealed, ttlMs, Date.now(), this.maxPending)) === 1;
  }

  async take(key: string): Promise<string | undefined> {
    return (await this.redis.takeHandoff(this.keys.handoff(key), this.keys.pendingHandoffs())) ?? undefined;
  }
}
