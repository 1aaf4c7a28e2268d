/**
 * The session store's claim/renew/release rules, one suite run against the
 * Lua scripts on a real redis-server and against the in-memory store.
 */
import { describe, expect, it } from 'vitest';
import { keyLayout } from '../../shared/bus/keys.js';
import { MemorySessionStore } from '../../shared/session-store/memory-session-store.js';
import { RedisSessionStore } from '../../shared/session-store/redis-session-store.js';
import type { SessionStore } from '../../shared/session-store/session-store.js';
import { redisForSuite } from '../harness/redis-for-suite.js';

const suite = redisForSuite();

const keys = keyLayout('unit');
const stores: Array<[string, () => SessionStore]> = [
  ['redis', () => new RedisSessionStore(suite.redis, keys)],
  ['memory', () => new MemorySessionStore()],
];
let counter = 0;
/** The store keeps the proof as it is given; making and checking it is the crypto's (crypto.test.ts). */
const owned = (inbox: `worker:${string}`) => ({ inbox, proof: `proof-of-${inbox}` });
const newSession = () => ({ sid: `sid-${++counter}`, gateway: 'gw:g1' as const, tokenHash: 'h', username: 'u', host: 'h', port: 22 });

describe.each(stores)('session store (%s)', (_name, makeStore) => {
  it('lets exactly one worker claim a session, and issues a fencing token', async () => {
    const store = makeStore();
    const [a, b] = [newSession(), newSession()];
    await store.create(a, 10_000);
    await store.create(b, 10_000);
    const first = await store.claim(a.sid, owned('worker:w1'), 10_000);
    expect(first).toMatchObject({ status: 'claimed' });
    expect(await store.claim(a.sid, owned('worker:w2'), 10_000)).toEqual({ status: 'taken' });
    expect(await store.claim(a.sid, owned('worker:w1'), 10_000)).toEqual({ status: 'taken' });
    // A token is issued per claim of a record; renewals must present it with the owner.
    const fence = (first as { fence: number }).fence;
    expect(fence).toBeGreaterThan(0);
    expect(await store.renew('worker:w1', [{ sid: a.sid, fence: fence + 1 }], 10_000)).toEqual(['lost']);
    expect(await store.renew('worker:w1', [{ sid: a.sid, fence }], 10_000)).toEqual(['renewed']);
    expect(await store.claim(b.sid, owned('worker:w2'), 10_000)).toMatchObject({ status: 'claimed' });
  });

  it('does not claim a session the gateway removed or let expire', async () => {
    const store = makeStore();
    const removed = newSession();
    await store.create(removed, 10_000);
    await store.remove(removed.sid);
    expect(await store.claim(removed.sid, owned('worker:w1'), 10_000)).toEqual({ status: 'gone' });
    const expired = newSession();
    await store.create(expired, 50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await store.claim(expired.sid, owned('worker:w1'), 10_000)).toEqual({ status: 'gone' });
  });

  it('renews only leases the caller holds, and reports gone and lost ones', async () => {
    const store = makeStore();
    const held = newSession();
    const other = newSession();
    await store.create(held, 10_000);
    await store.create(other, 10_000);
    const mine = (await store.claim(held.sid, owned('worker:w1'), 200)) as { fence: number };
    const theirs = (await store.claim(other.sid, owned('worker:w2'), 10_000)) as { fence: number };
    const statuses = await store.renew(
      'worker:w1',
      [
        { sid: held.sid, fence: mine.fence },
        { sid: other.sid, fence: theirs.fence },
        { sid: 'never-existed', fence: 1 },
        { sid: held.sid, fence: mine.fence + 1000 },
      ],
      10_000,
    );
    expect(statuses).toEqual(['renewed', 'lost', 'gone', 'lost']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The renewal outlived the original 200 ms lease.
    expect(await store.renew('worker:w1', [{ sid: held.sid, fence: mine.fence }], 10_000)).toEqual(['renewed']);
  });

  it('renews a heartbeat of more leases than one script call takes, each answer in its place', async () => {
    const store = makeStore();
    // More than two of the Redis store's batches of 500, with the odd ones out spread over them.
    const sessions = Array.from({ length: 1_203 }, newSession);
    const leases = [];
    for (const [index, session] of sessions.entries()) {
      await store.create(session, 10_000);
      const owner = index % 401 === 7 ? 'worker:w2' : 'worker:w1';
      const { fence } = (await store.claim(session.sid, owned(owner), 10_000)) as { fence: number };
      leases.push({ sid: index % 499 === 3 ? `gone-${session.sid}` : session.sid, fence });
    }
    const expected = leases.map((lease, index) => (lease.sid.startsWith('gone-') ? 'gone' : index % 401 === 7 ? 'lost' : 'renewed'));
    expect(await store.renew('worker:w1', leases, 10_000)).toEqual(expected);
  });

  it('releases a session only for its owner and fence', async () => {
    const store = makeStore();
    const session = newSession();
    await store.create(session, 10_000);
    const { fence } = (await store.claim(session.sid, owned('worker:w1'), 10_000)) as { fence: number };
    await store.release('worker:w2', { sid: session.sid, fence }, 'test');
    await store.release('worker:w1', { sid: session.sid, fence: fence + 1 }, 'test');
    expect(await store.renew('worker:w1', [{ sid: session.sid, fence }], 10_000)).toEqual(['renewed']);
    await store.release('worker:w1', { sid: session.sid, fence }, 'shell closed');
    expect(await store.renew('worker:w1', [{ sid: session.sid, fence }], 10_000)).toEqual(['gone']);
    expect(await store.lookup(session.sid)).toEqual({ status: 'ended', reason: 'shell closed' });
  });

  it('looks sessions up for a resume, and rotates tokens compare-and-set', async () => {
    const store = makeStore();
    const session = { ...newSession(), tokenHash: 'first' };
    expect(await store.lookup(session.sid)).toEqual({ status: 'unknown' });
    await store.create(session, 10_000);
    expect(await store.lookup(session.sid)).toEqual({ status: 'pending' });
    await store.claim(session.sid, owned('worker:w1'), 10_000);
    const live = { status: 'live', owner: 'worker:w1', ownerProof: 'proof-of-worker:w1' };
    expect(await store.lookup(session.sid)).toEqual({ ...live, tokenHash: 'first', priorTokenHash: undefined });
    expect(await store.rotateToken(session.sid, 'first', 'second', 'gw:g2')).toBe('rotated');
    // Until the client shows it got 'second', the token it presented still resumes (its socket may have dropped).
    expect(await store.lookup(session.sid)).toEqual({ ...live, tokenHash: 'second', priorTokenHash: 'first' });
    expect(await store.rotateToken(session.sid, 'first', 'third', 'gw:g3')).toBe('rotated');
    expect(await store.lookup(session.sid)).toEqual({ ...live, tokenHash: 'third', priorTokenHash: 'first' });
    // 'second' was never confirmed and is not the prior: it no longer works.
    expect(await store.rotateToken(session.sid, 'second', 'fourth', 'gw:g4')).toBe('changed');
    // Confirming the newest retires the prior.
    await store.confirmToken(session.sid, 'second');
    expect(await store.lookup(session.sid)).toMatchObject({ priorTokenHash: 'first' });
    await store.confirmToken(session.sid, 'third');
    expect(await store.lookup(session.sid)).toEqual({ ...live, tokenHash: 'third', priorTokenHash: undefined });
    expect(await store.rotateToken(session.sid, 'first', 'fifth', 'gw:g5')).toBe('changed');
    expect(await store.rotateToken('no-such-session', 'a', 'b', 'gw:g')).toBe('gone');
  });
});

describe.each(stores)('session store reinstatement (%s)', (_name, makeStore) => {
  it('puts back a live session Redis lost, with its owner and fence, and never overwrites one that exists', async () => {
    const store = makeStore();
    const session = { ...newSession(), tokenHash: 'current' };
    await store.reinstate(session, { sid: session.sid, fence: 41 }, owned('worker:w1'), 10_000);
    expect(await store.lookup(session.sid)).toEqual({ status: 'live', owner: 'worker:w1', ownerProof: 'proof-of-worker:w1', tokenHash: 'current', priorTokenHash: undefined });
    expect(await store.renew('worker:w1', [{ sid: session.sid, fence: 41 }], 10_000)).toEqual(['renewed']);
    await store.reinstate({ ...session, tokenHash: 'stale' }, { sid: session.sid, fence: 7 }, owned('worker:w2'), 10_000);
    expect(await store.lookup(session.sid)).toEqual({ status: 'live', owner: 'worker:w1', ownerProof: 'proof-of-worker:w1', tokenHash: 'current', priorTokenHash: undefined });
  });
});

describe('session store keys in Redis', () => {
  it('always carry a TTL and never the resume token in the clear', async () => {
    const store = new RedisSessionStore(suite.redis, keys);
    const session = { ...newSession(), tokenHash: 'hashed-token' };
    await store.create(session, 5_000);
    await store.claim(session.sid, owned('worker:w1'), 8_000);
    const key = keys.session(session.sid);
    expect(await suite.redis.pttl(key)).toBeGreaterThan(5_000);
    expect(await suite.redis.hgetall(key)).toMatchObject({ owner: 'worker:w1', state: 'live', tokenHash: 'hashed-token' });
  });
});
