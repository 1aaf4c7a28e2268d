/**
 * Limits on what one client address may start, held in Redis so they hold
 * across the cluster (in memory in the all-in-one process):
 *
 * - logins per window (rate-limiter-flexible), and credential hand-offs
 *   from the HTTP login routes per window;
 * - logins under way at once: each holds one of a worker's setup slots, so
 *   one address must not be able to take them all (limits/attempt-slots.ts);
 * - new sessions per window.
 *
 * An IPv6 client counts as its network of FLEET_LIMIT_IPV6_PREFIX bits (a
 * subscriber commonly holds a whole /64). The brute-force lock on targets
 * needs the resolved address and lives in the worker (ssh-worker/target-lock.ts).
 * A refusal is a message for the user that says when to try again. The
 * per-socket limits are local to a socket (event-rate-limit.ts, read-budget.ts).
 */
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisClient } from '../../shared/redis/connection.js';
import type { KeyLayout } from '../../shared/bus/keys.js';
import type { Config } from '../../shared/config/schema.js';
import { MemoryAttemptSlots, RedisAttemptSlots, type AttemptSlots, type SlotPolicy } from '../../shared/limits/attempt-slots.js';
import { clientKey } from '../../shared/net/addresses.js';

export type LimitSettings = Pick<Config, 'limits'> & { ssh: Pick<Config['ssh'], 'loginTimeoutMs'>; cluster: Pick<Config['cluster'], 'placementTimeoutMs'> };

/** Where the counters live: one Redis for the cluster, or this process. */
export type LimiterStore = { redis: RedisClient; keys: KeyLayout } | 'memory';

export class AbuseLimits {
  private readonly loginsPerIp: RateLimiterAbstract;
  private readonly sessionsPerIp: RateLimiterAbstract;
  private readonly handoffsPerIp: RateLimiterAbstract;
  private readonly loginsInFlight: AttemptSlots;
  private readonly ipv6PrefixBits: number;

  constructor(settings: LimitSettings, store: LimiterStore) {
    const { limits } = settings;
    const limiter = (name: string, points: number, durationMs: number) => {
      const options = { points, duration: Math.ceil(durationMs / 1000) };
      return store === 'memory'
        ? new RateLimiterMemory({ ...options, keyPrefix: name })
        : new RateLimiterRedis({ ...options, storeClient: store.redis, keyPrefix: store.keys.limiterPrefix(name) });
    };
    this.loginsPerIp = limiter('logins-per-ip', limits.loginsPerIp, limits.loginWindowMs);
    this.sessionsPerIp = limiter('sessions-per-ip', limits.sessionsPerIp, limits.sessionWindowMs);
    this.handoffsPerIp = limiter('handoffs-per-ip', limits.handoffsPerIp, limits.loginWindowMs);
    // A login is over by the placement timeout plus the login timeout; a slot outliving that was its gateway's, now dead.
    const inFlight: SlotPolicy = { limit: limits.loginsInFlightPerIp, holdMs: settings.cluster.placementTimeoutMs + settings.ssh.loginTimeoutMs, failureWindowMs: 1 };
    this.loginsInFlight = store === 'memory' ? new MemoryAttemptSlots(inFlight) : new RedisAttemptSlots(store.redis, (key) => store.keys.attemptSlots('client', key), inFlight);
    this.ipv6PrefixBits = limits.ipv6PrefixBits;
  }

  /**
   * Admits login `loginId` from `ip`, counting it, or says why not: the
   * address has opened too many sessions, started too many logins, or has
   * too many under way. An admitted login must be ended with loginEnded().
   */
  async admitLogin(ip: string, loginId: string): Promise<string | undefined> {
    const client = clientKey(ip, this.ipv6PrefixBits);
    const sessions = await this.sessionsPerIp.get(client);
    if (sessions && sessions.remainingPoints <= 0) return `Too many new sessions from your address; try again in ${seconds(sessions.msBeforeNext)} s`;
    const busy = await this.loginsInFlight.take(client, loginId);
    if (busy) return 'Too many logins under way from your address; wait for one to finish';
    const refusal = await consume(this.loginsPerIp, client, 'Too many login attempts from your address');
    if (refusal) await this.loginsInFlight.release(client, loginId, false);
    return refusal;
  }

  /** The login is over (either way): its in-flight slot is free. */
  async loginEnded(ip: string, loginId: string): Promise<void> {
    await this.loginsInFlight.release(clientKey(ip, this.ipv6PrefixBits), loginId, false);
  }

  /** Counts a credential hand-off (an HTTP login route) from `ip`, or says why not. */
  async admitHandoff(ip: string): Promise<string | undefined> {
    return consume(this.handoffsPerIp, clientKey(ip, this.ipv6PrefixBits), 'Too many logins from your address');
  }

  async sessionStarted(ip: string): Promise<void> {
    await consume(this.sessionsPerIp, clientKey(ip, this.ipv6PrefixBits), 'over the limit');
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

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
