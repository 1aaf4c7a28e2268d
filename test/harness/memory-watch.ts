/**
 * Watches the memory of running processes (RSS from /proc) and of a
 * redis-server (`used_memory`) while something happens, and reports the peak
 * growth over the level at the start. Sampled on a timer, so a short spike
 * between samples can be missed; the attacks it watches last seconds.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

export type Growth = Record<string, number>;

const MiB = 1024 * 1024;

export function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

export async function redisUsedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
}

export class MemoryWatch {
  private baseline: Growth = {};
  private peak: Growth = {};
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();

  constructor(
    private readonly processes: Record<string, number>,
    private readonly redis?: Redis,
    private readonly intervalMs = 200,
  ) {}

  async start(): Promise<void> {
    this.baseline = await this.sample();
    this.peak = { ...this.baseline };
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(async () => {
        const now = await this.sample().catch(() => undefined);
        if (now) for (const [name, bytes] of Object.entries(now)) this.peak[name] = Math.max(this.peak[name] ?? 0, bytes);
      });
    }, this.intervalMs);
  }

  /** Peak growth per watched thing, in bytes. */
  async stop(): Promise<Growth> {
    clearInterval(this.timer);
    await this.sampling;
    return Object.fromEntries(Object.keys(this.baseline).map((name) => [name, this.peak[name]! - this.baseline[name]!]));
  }

  static describe(growth: Growth): string {
    return Object.entries(growth)
      .map(([name, bytes]) => `${name} +${(bytes / MiB).toFixed(1)} MiB`)
      .join(', ');
  }

  private async sample(): Promise<Growth> {
    const sample: Growth = {};
    for (const [name, pid] of Object.entries(this.processes)) sample[name] = rssOf(pid);
    if (this.redis) sample.redis = await redisUsedMemory(this.redis);
    return sample;
  }
}
