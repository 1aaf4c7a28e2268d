/** Hand-off storage in Redis: a string with a TTL, taken by GETDEL so only one socket gets it. */
import type { Redis } from 'ioredis';
import type { KeyLayout } from '../bus/keys.js';
import type { HandoffStorage } from './credential-handoff.js';

export class RedisHandoffStorage implements HandoffStorage {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeyLayout,
  ) {}

  async put(key: string, sealed: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.handoff(key), sealed, 'PX', ttlMs);
  }

  async take(key: string): Promise<string | undefined> {
    return (await this.redis.getdel(this.keys.handoff(key))) ?? undefined;
  }
}
