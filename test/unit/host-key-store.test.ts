/**
 * The host key trust store's rules, one suite run against a real
 * redis-server and against the in-memory store.
 */
import { describe, expect, it } from 'vitest';
import { keyLayout } from '../../shared/bus/keys.js';
import type { HostKeyStore } from '../../shared/host-key-store/host-key-store.js';
import { MemoryHostKeyStore } from '../../shared/host-key-store/memory-host-key-store.js';
import { RedisHostKeyStore } from '../../shared/host-key-store/redis-host-key-store.js';
import { generateEd25519KeyPair } from '../harness/ed25519-key.js';
import { redisForSuite } from '../harness/redis-for-suite.js';

const suite = redisForSuite();

let prefixes = 0;
const MAX_STORED = 1_500;
const stores: Array<[string, () => HostKeyStore]> = [
  ['redis', () => new RedisHostKeyStore(suite.redis, keyLayout(`unit${++prefixes}`), MAX_STORED)],
  ['memory', () => new MemoryHostKeyStore(MAX_STORED)],
];

/** An OpenSSH public key line's type and base64 key. */
function newKey(): { type: string; base64: string } {
  const [type, base64] = generateEd25519KeyPair().public.split(' ');
  return { type: type!, base64: base64! };
}
const rsaKey = { type: 'ssh-rsa', base64: Buffer.from('stand-in: the store does not parse keys').toString('base64') };

describe.each(stores)('host key store (%s)', (_name, makeStore) => {
  it('knows nothing at first', async () => {
    expect(await makeStore().trustedKeys('host.example', 22)).toEqual([]);
  });

  it('returns the keys of one host and port, one per type, names compared without case', async () => {
    const store = makeStore();
    const [ed, other] = [newKey(), newKey()];
    await store.trust([
      { host: 'host.example', port: 22, key: ed },
      { host: 'host.example', port: 22, key: rsaKey },
      { host: 'host.example', port: 2222, key: other },
      { host: 'other.example', port: 22, key: other },
    ]);
    expect(await store.trustedKeys('HOST.example', 22)).toEqual([ed, rsaKey]);
    expect(await store.trustedKeys('host.example', 2222)).toEqual([other]);
  });

  it('lets the operator replace a key by seeding again', async () => {
    const store = makeStore();
    const [old, replacement] = [newKey(), newKey()];
    await store.trust([{ host: 'h', port: 22, key: old }]);
    await store.trust([{ host: 'h', port: 22, key: replacement }]);
    expect(await store.trustedKeys('h', 22)).toEqual([replacement]);
  });

  it('trusts on first use only: the first key stored for a host, port and type stays', async () => {
    const store = makeStore();
    const [first, second] = [newKey(), newKey()];
    expect(await store.trustIfUnknown('h', 22, first)).toEqual(first);
    expect(await store.trustIfUnknown('h', 22, second)).toEqual(first);
    expect(await store.trustedKeys('h', 22)).toEqual([first]);
    // Another type is another entry.
    expect(await store.trustIfUnknown('h', 22, rsaKey)).toEqual(rsaKey);
    expect(await store.trustedKeys('h', 22)).toEqual([first, rsaKey]);
  });

  it('seeds a large known_hosts file completely', async () => {
    const store = makeStore();
    const key = newKey();
    await store.trust(Array.from({ length: 1_200 }, (_, i) => ({ host: `host-${i}`, port: 22, key })));
    expect(await store.trustedKeys('host-0', 22)).toEqual([key]);
    expect(await store.trustedKeys('host-1199', 22)).toEqual([key]);
  });

  it('stores no more keys on first use than its bound, and still answers for the ones it has', async () => {
    const store = makeStore();
    const key = newKey();
    await store.trust(Array.from({ length: MAX_STORED - 1 }, (_, i) => ({ host: `seeded-${i}`, port: 22, key })));
    expect(await store.trustIfUnknown('last-one', 22, key)).toEqual(key);
    expect(await store.trustIfUnknown('one-too-many', 22, key)).toBe('full');
    expect(await store.trustedKeys('one-too-many', 22)).toEqual([]);
    expect(await store.trustIfUnknown('last-one', 22, newKey())).toEqual(key);
  });
});

describe('host key store in Redis', () => {
  it('keeps every key in one hash of the cluster, shared by every worker', async () => {
    const keys = keyLayout('shared-unit');
    const [workerA, workerB] = [new RedisHostKeyStore(suite.redis, keys, MAX_STORED), new RedisHostKeyStore(suite.redis, keys, MAX_STORED)];
    const key = newKey();
    await workerA.trustIfUnknown('h', 22, key);
    expect(await workerB.trustedKeys('h', 22)).toEqual([key]);
    expect(await suite.redis.hgetall(keys.hostKeys())).toEqual({ 'h:22:ssh-ed25519': key.base64 });
  });
});
