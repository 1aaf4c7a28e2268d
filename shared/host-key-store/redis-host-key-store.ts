/**
 * The cluster's trust store: one Redis hash (`{p}:hostkeys`), one field per
 * host, port and key type. A lookup is one HMGET of the fixed list of key
 * types, so its cost does not grow with the number of hosts or sessions;
 * trust on first use is one script (check, bound, set), so of two workers
 * racing to store different keys for one host, one wins and the other
 * learns which, and users accepting keys cannot grow the store without end.
 */
import { readFileSync } from 'node:fs';
import type { RedisClient } from '../redis/connection.js';
import type { KeyLayout } from '../bus/keys.js';
import { HOST_KEY_TYPES, type HostKey } from './host-key.js';
import { trustKeyOf, type HostKeyStore, type KnownHost } from './host-key-store.js';

/** Fields per HSET while seeding: a large known_hosts file goes in slices, not one huge command. */
const SEED_BATCH = 500;

interface TrustScript {
  trustIfUnknown(storeKey: string, field: string, base64: string, maxEntries: number): Promise<string | null>;
}

export class RedisHostKeyStore implements HostKeyStore {
  private readonly redis: RedisClient & TrustScript;

  constructor(
    redis: RedisClient,
    private readonly keys: KeyLayout,
    private readonly maxEntries: number,
  ) {
    if (!('trustIfUnknown' in redis)) {
      redis.defineCommand('trustIfUnknown', { numberOfKeys: 1, lua: readFileSync(new URL('./scripts/trust-if-unknown-1.lua', import.meta.url), 'utf8') });
    }
    this.redis = redis as RedisClient & TrustScript;
  }

  async trustedKeys(host: string, port: number): Promise<HostKey[]> {
    const values = await this.redis.hmget(this.keys.hostKeys(), ...HOST_KEY_TYPES.map((type) => trustKeyOf(host, port, type)));
    return HOST_KEY_TYPES.flatMap((type, index) => {
      const base64 = values[index];
      return base64 ? [{ type, base64 }] : [];
    });
  }

  async trustIfUnknown(host: string, port: number, key: HostKey): Promise<HostKey | 'full'> {
    const stored = await this.redis.trustIfUnknown(this.keys.hostKeys(), trustKeyOf(host, port, key.type), key.base64, this.maxEntries);
    return stored === null ? 'full' : { type: key.type, base64: stored };
  }

  async trust(entries: readonly KnownHost[]): Promise<void> {
    for (let start = 0; start < entries.length; start += SEED_BATCH) {
      const fields = entries.slice(start, start + SEED_BATCH).flatMap(({ host, port, key }) => [trustKeyOf(host, port, key.type), key.base64]);
      await this.redis.hset(this.keys.hostKeys(), ...fields);
    }
  }
}
