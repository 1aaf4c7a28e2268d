/**
 * Credentials handed from an HTTP login route to a socket: sealed at rest,
 * taken exactly once, gone after their TTL. One suite, run on a real
 * redis-server and on the in-memory storage.
 */
import { describe, expect, it } from 'vitest';
import { keyLayout } from '../../shared/bus/keys.js';
import { CredentialHandoff, type HandoffStorage } from '../../shared/credential-handoff/credential-handoff.js';
import { MemoryHandoffStorage } from '../../shared/credential-handoff/memory-handoff-storage.js';
import { RedisHandoffStorage } from '../../shared/credential-handoff/redis-handoff-storage.js';
import { deriveKey, SealedBox } from '../../shared/crypto/sealed-box.js';
import { redisForSuite } from '../harness/redis-for-suite.js';

const suite = redisForSuite();

let prefixes = 0;
const keys = keyLayout('handoff-unit');
const MAX_PENDING = 5;
const box = new SealedBox(deriveKey('a-test-secret-that-is-long-enough-1234', 'credentials'));
const credentials = { username: 'alice', password: 'Tr0ub4dor&3-handoff', host: 'db.internal', port: 2201 };
const grant = { credentials, hostLocked: true };
const storages: Array<[string, () => HandoffStorage]> = [
  ['redis', () => new RedisHandoffStorage(suite.redis, keyLayout(`handoff-unit-${++prefixes}`), MAX_PENDING)],
  ['memory', () => new MemoryHandoffStorage(MAX_PENDING)],
];

describe.each(storages)('credential hand-off (%s)', (_name, makeStorage) => {
  it('gives the credentials to the first taker only', async () => {
    const handoff = new CredentialHandoff(makeStorage(), box, 10_000);
    const id = (await handoff.deposit(grant))!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [first, second] = await Promise.all([handoff.take(id), handoff.take(id)]);
    expect([first, second].filter(Boolean)).toEqual([grant]);
    expect(await handoff.take(id)).toBeUndefined();
  });

  it('forgets credentials nobody took within the TTL', async () => {
    const handoff = new CredentialHandoff(makeStorage(), box, 50);
    const id = (await handoff.deposit(grant))!;
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await handoff.take(id)).toBeUndefined();
  });

  it('finds nothing for an id it never issued, or one that is not an id', async () => {
    const handoff = new CredentialHandoff(makeStorage(), box, 10_000);
    await handoff.deposit(grant);
    expect(await handoff.take('A'.repeat(43))).toBeUndefined();
    expect(await handoff.take('../../etc/passwd')).toBeUndefined();
    expect(await handoff.take('')).toBeUndefined();
  });

  it('cannot be opened by a cluster with another secret', async () => {
    const storage = makeStorage();
    const id = (await new CredentialHandoff(storage, box, 10_000).deposit(grant))!;
    const stranger = new CredentialHandoff(storage, new SealedBox(deriveKey('another-secret-that-is-long-enough-9876', 'credentials')), 10_000);
    await expect(stranger.take(id)).rejects.toThrow();
  });

  it('holds no more than its bound of hand-offs nobody took, and room comes back as they are taken or expire', async () => {
    const storage = makeStorage();
    const handoff = new CredentialHandoff(storage, box, 10_000);
    const ids = await Promise.all(Array.from({ length: MAX_PENDING }, () => handoff.deposit(grant)));
    expect(ids.every((id) => id !== undefined)).toBe(true);
    expect(await handoff.deposit(grant)).toBeUndefined();
    await handoff.take(ids[0]!);
    expect(await handoff.deposit(grant)).toBeDefined();
    const shortLived = new CredentialHandoff(makeStorage(), box, 50);
    for (let i = 0; i < MAX_PENDING; i++) await shortLived.deposit(grant);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await shortLived.deposit(grant)).toBeDefined();
  });
});

it('keeps neither the credentials nor the id in Redis, and nothing without a TTL', async () => {
  const handoff = new CredentialHandoff(new RedisHandoffStorage(suite.redis, keys, MAX_PENDING), box, 10_000);
  const id = (await handoff.deposit(grant))!;
  const stored = await suite.redis.keys(`${keys.prefix}:handoff:*`);
  expect(stored.length).toBeGreaterThan(0);
  const dump = (await Promise.all(stored.map(async (key) => `${key}=${await suite.redis.get(key)}`))).join('\n');
  for (const secret of [credentials.password, id, Buffer.from(credentials.password).toString('base64'), Buffer.from(credentials.password).toString('hex')]) {
    expect(dump).not.toContain(secret);
  }
  for (const key of stored) expect(await suite.redis.pttl(key)).toBeGreaterThan(0);
});
