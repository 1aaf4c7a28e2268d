/**
 * The cluster's trust store: one Redis hash (`{p}:hostkeys`), one field per
 * host, port and key type. A lookup is one HMGET of the fixed list of key
 * types, so its cost does not grow with the number of hosts or sessions;
 * trust on first use is one HSETNX, so of two workers racing to store
 * different keys for one host, one wins and the other learns which.
 */
import type { Redis } from 'ioredis';
import type { KeyLayout } from '../bus/keys.js';
import { HOST_KEY_TYPES, type HostKey } from './host-key.js';
import { trustKeyOf, type HostKeyStore, type KnownHost } from './host-key-store.js';

/** Fields per HSET while seeding: a large known_hosts file goes in slices, not one huge command. */
const SEED_BATCH = 500;

export class RedisHostKeyStore implements HostKeyStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: KeyLayout,
  ) {}

  async trustedKeys(host: string, port: number): Promise<HostKey[]> {
    const values = await this.redis.hmget(this.keys.hostKeys(), ...HOST_KEY_TYPES.map((type) => trustKeyOf(host, port, type)));
    return HOST_KEY_TYPES.flatMap((type, index) => {
      const base64 = values[index];
      return base64 ? [{ type, base64 }] : [];
    });
  }

  async trustIfUnknown(host: string, port: number, key: HostKey): Promise<HostKey> {
    const field = trustKeyOf(host, port, key.type);
    if (await this.redis.hsetnx(this.keys.hostKeys(), field, key.base64)) return key;
    const stored = await this.redis.hget(this.keys.hostKeys(), field);
    return { type: key.type, base64: stored ?? key.base64 };
  }

  async trust(entries: readonly KnownHost[]): Promise<void> {
    for (let start = 0; start < entries.length; start += SEED_BATCH) {
      const fields = entries.slice(start, start + SEED_BATCH).flatMap(({ host, port, key }) => [trustKeyOf(host, port, key.type), key.base64]);
      await this.redis.hset(this.keys.hostKeys(), ...fields);
    }
  }
}
