/**
 * The session store on Redis. Each atomic step is a Lua script in
 * `scripts/<operation>-<numberOfKeys>.lua`; ioredis runs them by SHA (EVALSHA),
 * so two releases with different script bodies can share one Redis.
 */
import { readFileSync } from 'node:fs';
import type { ChainableCommander } from 'ioredis';
import { isCluster, type RedisClient } from '../redis/connection.js';
import type { KeyLayout } from '../bus/keys.js';
import type { InboxAddress } from '../bus/messages.js';
import {
  ENDED_NOTE_TTL_MS,
  type ClaimResult,
  type Lease,
  type NewSession,
  type ProvenOwner,
  type RenewStatus,
  type RotateResult,
  type SessionLookup,
  type SessionStore,
} from './session-store.js';

interface SessionScripts {
  claimSession(sessionKey: string, owner: string, ownerProof: string, ttlMs: number): Promise<number>;
  renewLease(sessionKey: string, owner: string, fence: number, ttlMs: number): Promise<number>;
  /** Called as (number of keys, ...keys, owner, ttlMs, ...fences). */
  renewLeases(...keysAndArgs: Array<string | number>): Promise<number[]>;
  releaseSession(sessionKey: string, endedKey: string, owner: string, fence: number, reason: string, noteTtlMs: number): Promise<number>;
  rotateResumeToken(sessionKey: string, expected: string, next: string, gateway: string): Promise<number>;
  confirmResumeToken(sessionKey: string, tokenHash: string): Promise<number>;
  reinstateSession(sessionKey: string, ttlMs: number, ...fields: string[]): Promise<number>;
}

/** The same scripts queued on a pipeline: each call queues and returns the pipeline, not a reply. */
type Pipelined<Scripts> = { [Name in keyof Scripts]: Scripts[Name] extends (...args: infer A) => unknown ? (...args: A) => ChainableCommander : never };

const SCRIPTS = [
  ['claimSession', 'claim-session-1.lua', 1],
  ['renewLease', 'renew-lease-1.lua', 1],
  // Its number of keys varies: the first argument of each call gives it.
  ['renewLeases', 'renew-leases-1.lua', undefined],
  ['releaseSession', 'release-session-2.lua', 2],
  ['rotateResumeToken', 'rotate-resume-token-1.lua', 1],
  ['confirmResumeToken', 'confirm-resume-token-1.lua', 1],
  ['reinstateSession', 'reinstate-session-1.lua', 1],
] as const;

function withScripts(redis: RedisClient): RedisClient & SessionScripts {
  for (const [name, file, numberOfKeys] of SCRIPTS) {
    if (!(name in redis)) {
      const lua = readFileSync(new URL(`./scripts/${file}`, import.meta.url), 'utf8');
      redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { numberOfKeys, lua });
    }
  }
  return redis as RedisClient & SessionScripts;
}

function recordFields(session: NewSession): Record<string, string> {
  return {
    gateway: session.gateway,
    tokenHash: session.tokenHash,
    username: session.username,
    host: session.host,
    port: String(session.port),
  };
}

/** Leases per renewal script call: a few hundred keep one call well under a millisecond of Redis's time. */
const RENEW_BATCH = 500;

const RENEW_CODES: Record<number, RenewStatus> = { 1: 'renewed', 0: 'gone', [-1]: 'lost' };

export class RedisSessionStore implements SessionStore {
  private readonly redis: RedisClient & SessionScripts;

  constructor(
    redis: RedisClient,
    private readonly keys: KeyLayout,
    private readonly endedNoteTtlMs = ENDED_NOTE_TTL_MS,
  ) {
    this.redis = withScripts(redis);
  }

  async create(session: NewSession, ttlMs: number): Promise<void> {
    const key = this.keys.session(session.sid);
    await this.redis.multi().hset(key, { state: 'pending', ...recordFields(session) }).pexpire(key, ttlMs).exec();
  }

  async reinstate(session: NewSession, lease: Lease, owner: ProvenOwner, ttlMs: number): Promise<void> {
    const fields = { state: 'live', owner: owner.inbox, ownerProof: owner.proof, fence: String(lease.fence), ...recordFields(session) };
    await this.redis.reinstateSession(this.keys.session(session.sid), ttlMs, ...Object.entries(fields).flat());
  }

  async remove(sid: string): Promise<void> {
    await this.redis.del(this.keys.session(sid));
  }

  async claim(sid: string, owner: ProvenOwner, ttlMs: number): Promise<ClaimResult> {
    const result = await this.redis.claimSession(this.keys.session(sid), owner.inbox, owner.proof, ttlMs);
    if (result > 0) return { status: 'claimed', fence: result };
    return result === 0 ? { status: 'gone' } : { status: 'taken' };
  }

  async renew(owner: InboxAddress, leases: readonly Lease[], ttlMs: number): Promise<RenewStatus[]> {
    if (leases.length === 0) return [];
    const codes = isCluster(this.redis)
      ? // A Cluster pipeline must stay on one node: the scripts go out one by one, concurrently.
        await Promise.all(leases.map((lease) => this.redis.renewLease(this.keys.session(lease.sid), owner, lease.fence, ttlMs)))
      : await this.renewPipelined(owner, leases, ttlMs);
    return codes.map((code) => RENEW_CODES[code] ?? 'lost');
  }

  async release(owner: InboxAddress, lease: Lease, reason: string): Promise<void> {
    await this.redis.releaseSession(this.keys.session(lease.sid), this.keys.endedSession(lease.sid), owner, lease.fence, reason, this.endedNoteTtlMs);
  }

  /** One script call per RENEW_BATCH leases, all on one pipeline. */
  private async renewPipelined(owner: InboxAddress, leases: readonly Lease[], ttlMs: number): Promise<number[]> {
    const pipeline = this.redis.pipeline();
    for (let start = 0; start < leases.length; start += RENEW_BATCH) {
      const batch = leases.slice(start, start + RENEW_BATCH);
      const keys = batch.map((lease) => this.keys.session(lease.sid));
      (pipeline as unknown as Pipelined<SessionScripts>).renewLeases(keys.length, ...keys, owner, ttlMs, ...batch.map((lease) => lease.fence));
    }
    const replies = (await pipeline.exec()) ?? [];
    return replies.flatMap(([error, codes]) => {
      if (error) throw error;
      return codes as number[];
    });
  }

  async lookup(sid: string): Promise<SessionLookup> {
    const [[, record], [, endedReason]] = (await this.redis
      .multi()
      .hgetall(this.keys.session(sid))
      .get(this.keys.endedSession(sid))
      .exec()) as [[null, Record<string, string>], [null, string | null]];
    if (record.owner && record.tokenHash) {
      return { status: 'live', owner: record.owner as InboxAddress, ownerProof: record.ownerProof, tokenHash: record.tokenHash, priorTokenHash: record.priorTokenHash };
    }
    if (record.state) return { status: 'pending' };
    return endedReason ? { status: 'ended', reason: endedReason } : { status: 'unknown' };
  }

  async rotateToken(sid: string, expected: string, next: string, gateway: InboxAddress): Promise<RotateResult> {
    const result = await this.redis.rotateResumeToken(this.keys.session(sid), expected, next, gateway);
    return result === 1 ? 'rotated' : result === 0 ? 'gone' : 'changed';
  }

  async confirmToken(sid: string, tokenHash: string): Promise<void> {
    await this.redis.confirmResumeToken(this.keys.session(sid), tokenHash);
  }
}
