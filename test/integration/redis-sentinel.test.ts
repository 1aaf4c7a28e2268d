/**
 * A cluster of two gateways and two workers on Redis with Sentinel (a
 * primary, a replica, three sentinels). The primary is SIGKILLed under a
 * streaming, typing session: once the sentinels have promoted the replica,
 * the session goes on with every output byte and every keystroke exactly
 * once, the user was told on the status line, new logins work within 10 s,
 * and no process was restarted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness/fleet.js';
import type { startRedisSentinel } from '../harness/redis-topologies.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';
import { redisFailoverScenario } from './failover-scenario.js';

describe('cluster on Redis with Sentinel', () => {
  let sshd: SshdHandle;
  let fleet: Fleet;
  beforeAll(async () => {
    sshd = await startSshd();
    fleet = await startFleet('cluster', { gateways: 2, workers: 2, redisTopology: 'sentinel' });
  });
  afterAll(async () => {
    await fleet?.stop();
    await sshd?.stop();
  });

  it('survives the primary being killed: nothing lost, nothing twice, logins back within 10 s', async () => {
    const sentinel = fleet.redisTopology as Awaited<ReturnType<typeof startRedisSentinel>>;
    const primary = await sentinel.primaryFor('any');
    const figures = await redisFailoverScenario(fleet, sshd, async () => {
      await primary.process.kill('SIGKILL');
    });
    console.info(`Sentinel failover: ${JSON.stringify(figures)}`);
    // The replica serves now.
    expect((await sentinel.primaryFor('any')).port).not.toBe(primary.port);
    expect(figures.newLoginAfterKillMs).toBeLessThan(10_000);
    expect(figures.statusLines.some((line) => /unreachable/.test(line))).toBe(true);
    expect(figures.statusLines.some((line) => /back/.test(line))).toBe(true);
    // Every process lived through it, and saw the failover.
    for (const process of [...fleet.gateways, ...fleet.workers]) expect(process.logs.some((line) => line.includes('"event":"redis-failover"')), process.name).toBe(true);
    const metrics = await (await fetch(`${fleet.metricsUrls[0]}/metrics`)).text();
    expect(metrics).toMatch(/^webssh_fleet_redis_failovers_total [1-9]/m);
    expect(metrics).toMatch(/^webssh_fleet_redis_reconnects_total\{connection="reader"\} [1-9]/m);
  });
});
