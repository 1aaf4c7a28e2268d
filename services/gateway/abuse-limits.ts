/**
 * Limits on what one client may try, held in Redis so they hold across the
 * cluster (rate-limiter-flexible; in memory in the all-in-one process):
 *
 * - login attempts per client IP, counted when a login is placed;
 * - failed logins per target (user@host:port), from any IP: a password
 *   guessed from many addresses is still one account under attack;
 * - new sessions per client IP, counted when a login succeeds.
 *
 * A refusal is a message for the user that says when to try again. The
 * per-socket event rate is local to a socket and lives in event-rate-limit.ts.
 */
import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import type { KeyLayout } from '../../shared/bus/keys.js';
import type { Config } from '../../shared/config/schema.js';

export type LimitSettings = Config['limits'];

/** Where the counters live: one Redis for the cluster, or this process. */
export type LimiterStore = { redis: Redis; keys: KeyLayout } | 'memory';

export interface LoginTarget {
  username: string;
  host: string;
  port: number;
}

export class AbuseLimits {
  private readonly loginsPerIp: RateLimiterAbstract;
  private readonly failuresPerTarget: RateLimiterAbstract;
  private readonly sessionsPerIp: RateLimiterAbstract;

  constructor(settings: LimitSettings, store: LimiterStore) {
    const limiter = (name: string, points: number, durationMs: number) => {
      const options = { points, duration: Math.ceil(durationMs / 1000) };
      return store === 'memory'
        ? new RateLimiterMemory({ ...options, keyPrefix: name })
        : new RateLimiterRedis({ ...options, storeClient: store.redis, keyPrefix: store.keys.limiterPrefix(name) });
    };
    this.loginsPerIp = limiter('logins-per-ip', settings.loginsPerIp, settings.loginWindowMs);
    this.failuresPerTarget = limiter('failures-per-target', settings.loginFailuresPerTarget, settings.loginWindowMs);
    this.sessionsPerIp = limiter('sessions-per-ip', settings.sessionsPerIp, settings.sessionWindowMs);
  }

  /**
   * Admits a login from `ip` to `target`, counting the attempt, or says why
   * not: the target is locked after too many failures, or the address has
   * started too many logins or sessions.
   */
  async admitLogin(ip: string, target: LoginTarget): Promise<string | undefined> {
    const [failures, sessions] = await Promise.all([this.failuresPerTarget.get(targetKey(target)), this.sessionsPerIp.get(ip)]);
    if (failures && failures.remainingPoints <= 0) {
      return `Too many failed logins for ${target.username}@${target.host}; try again in ${seconds(failures.msBeforeNext)} s`;
    }
    if (sessions && sessions.remainingPoints <= 0) return `Too many new sessions from your address; try again in ${seconds(sessions.msBeforeNext)} s`;
    return consume(this.loginsPerIp, ip, 'Too many login attempts from your address');
  }

  async loginFailed(target: LoginTarget): Promise<void> {
    await count(this.failuresPerTarget, targetKey(target));
  }

  async sessionStarted(ip: string): Promise<void> {
    await count(this.sessionsPerIp, ip);
  }
}

/**
 * Consumes one point. rate-limiter-flexible rejects with a RateLimiterRes
 * when the limit is hit (that is a refusal, not an error) and with an Error
 * when its store fails (that propagates).
 */
async function consume(limiter: RateLimiterAbstract, key: string, what: string): Promise<string | undefined> {
  try {
    await limiter.consume(key);
    return undefined;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return `${what}; try again in ${seconds(rejection.msBeforeNext)} s`;
    throw rejection;
  }
}

/** Consumes one point where being over the limit refuses nothing now; the next admitLogin reads it. */
async function count(limiter: RateLimiterAbstract, key: string): Promise<void> {
  await consume(limiter, key, 'over the limit');
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** Usernames are client input of any length; the key is a fixed-size digest of the target. */
function targetKey(target: LoginTarget): string {
  return createHash('sha256').update(`${target.username}\u0000${target.host.toLowerCase()}\u0000${target.port}`).digest('base64url').slice(0, 22);
}
