/**
 * Which Redis commands a measured interval cost, from `INFO commandstats`
 * (reset with `CONFIG RESETSTAT` when the interval starts): how many calls
 * of each, and the microseconds Redis spent in them.
 */
import { Redis } from 'ioredis';

export interface CommandStat {
  calls: number;
  usec: number;
}

export interface RedisCommandMeter {
  reset(): Promise<void>;
  read(): Promise<Record<string, CommandStat>>;
  close(): void;
}

export function redisCommandMeter(url: string): RedisCommandMeter {
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  return {
    reset: async () => {
      await redis.config('RESETSTAT');
    },
    read: async () => parseCommandStats(await redis.info('commandstats')),
    close: () => redis.disconnect(),
  };
}

/** `cmdstat_xadd:calls=12,usec=34,usec_per_call=2.83,...` per line. */
export function parseCommandStats(info: string): Record<string, CommandStat> {
  const stats: Record<string, CommandStat> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats[match[1]!] = { calls: Number(match[2]), usec: Number(match[3]) };
  }
  return stats;
}
