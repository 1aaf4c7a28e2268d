/**
 * A cluster of two gateways and two workers on a Redis Cluster of three
 * masters with a replica each. The master that holds the first gateway's
 * inbox is SIGKILLed under a streaming, typing session on that gateway: once
 * its replica has taken over, the session goes on with every output byte and
 * every keystroke exactly once, new logins work within 10 s, and no process
 * was restarted. (The whole protocol suite on a Redis Cluster:
 * protocol-on-redis-cluster.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyLayout } from '../../shared/bus/keys.js';
import { startFleet, type Fleet } from '../harness/fleet.js';
import type { startRedisCluster } from '../harness/redis-topologies.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';
import { redisFailoverScenario } from './failover-scenario.js';

describe('cluster on a Redis Cluster', () => {
  let sshd: SshdHandle;
  let fleet: Fleet;
  beforeAll(async () => {
    sshd = await startSshd();
    fleet = await startFleet('cluster', { gateways: 2, workers: 2, redisTopology: 'cluster' });
  });
  afterAll(async () => {
    await fleet?.stop();
    await sshd?.stop();
  });

  it("survives the master holding a gateway's inbox being killed: nothing lost, nothing twice, logins back within 10 s", async () => {
    const cluster = fleet.redisTopology as Awaited<ReturnType<typeof startRedisCluster>>;
    const inbox = keyLayout(fleet.prefix).inbox('gw:gateway-0');
    const master = await cluster.primaryFor(inbox);
    const figures = await redisFailoverScenario(fleet, sshd, async () => {
      await master.process.kill('SIGKILL');
    });
    console.info(`Redis Cluster failover: ${JSON.stringify(figures)}`);
    // The dead master's replica serves the inbox now.
    expect((await cluster.primaryFor(inbox)).port).not.toBe(master.port);
    expect(figures.newLoginAfterKillMs).toBeLessThan(10_000);
    // The gateway whose inbox moved re-attached its session.
    expect(fleet.gateways[0]!.logs.some((line) => line.includes('re-attaching sessions'))).toBe(true);
  });
});
