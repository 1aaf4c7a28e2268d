/**
 * What only the cluster mode has: separate gateway and worker processes,
 * placement by capacity, and Redis state that is owned or expires.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';
import { remotePortsOf } from '../harness/tcp-peers.js';
import { keyLayout } from '../../shared/bus/keys.js';

describe('cluster of 2 gateways and 2 workers, one session per worker', () => {
  let sshd: SshdHandle;
  let fleet: Fleet;
  let redis: Redis;
  const clients: ProtocolClient[] = [];

  beforeAll(async () => {
    sshd = await startSshd();
    fleet = await startFleet('cluster', {
      env: { FLEET_WORKER_MAX_SESSIONS: '1', FLEET_PLACEMENT_TIMEOUT_MS: '2500', FLEET_REDIS_KEY_PREFIX: 'capacity' },
    });
    redis = new Redis(fleet.redis!.url);
  });
  afterAll(async () => {
    clients.forEach((client) => client.close());
    redis?.disconnect();
    await fleet?.stop();
    await sshd?.stop();
  });

  async function openSession(gateway: number): Promise<{ client: ProtocolClient; sid: string }> {
    const client = await ProtocolClient.connect(fleet.urls[gateway]!);
    clients.push(client);
    await client.openShell({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });
    await client.waitForOutput(/\$ $/m);
    const { sessionId } = (await client.waitForEvent('session:info')) as { sessionId: string };
    return { client, sid: sessionId };
  }
  const workerOf = (sid: string) =>
    fleet.workers.findIndex((worker) => worker.logs.some((line) => line.includes(`"sid":"${sid}"`) && line.includes('"event":"session-start"')));

  it('places sessions only on workers with room, and says so when none has', async () => {
    const first = await openSession(0);
    const second = await openSession(1);
    expect(new Set([workerOf(first.sid), workerOf(second.sid)])).toEqual(new Set([0, 1]));

    const third = await ProtocolClient.connect(fleet.urls[0]!);
    clients.push(third);
    const refused = await third.login({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });
    expect(refused).toEqual({ success: false, message: 'No SSH worker is available right now; try again shortly' });

    // Room again: the next session lands where the first one was.
    const freed = workerOf(first.sid);
    first.client.close();
    await expect.poll(() => fleet.workers[freed]!.logs.some((l) => l.includes(`"sid":"${first.sid}"`) && l.includes('session-end')), { timeout: 5_000 }).toBe(true);
    const fourth = await openSession(0);
    expect(workerOf(fourth.sid)).toBe(freed);
    second.client.close();
    fourth.client.close();
  });

  it('keeps SSH connections on workers: gateways hold none to the target', async () => {
    const { client } = await openSession(1);
    const gatewayPeers = await Promise.all(fleet.gateways.map((g) => remotePortsOf(g.pid)));
    const workerPeers = await Promise.all(fleet.workers.map((w) => remotePortsOf(w.pid)));
    expect(gatewayPeers.flat()).not.toContain(sshd.port);
    expect(workerPeers.flat().filter((port) => port === sshd.port)).toHaveLength(1);
    // Gateways talk to Redis (and to browsers, from ephemeral ports).
    for (const peers of gatewayPeers) expect(peers).toContain(fleet.redis!.port);
    client.close();
  });

  it('leaves nothing in Redis without a TTL or an owner once sessions end', async () => {
    const { client, sid } = await openSession(0);
    expect(await redis.exists(keyLayout('capacity').session(sid))).toBe(1);
    client.close();
    await expect.poll(() => redis.exists(keyLayout('capacity').session(sid)), { timeout: 5_000 }).toBe(0);

    const unowned: string[] = [];
    for (const key of await redis.keys('capacity:*')) {
      if ((await redis.pttl(key)) > 0) continue;
      // Owned for good: BullMQ's own queue bookkeeping.
      if (/^capacity:\{bull\}:sessions:(meta|id|events|stalled-check|marker)$/.test(key)) continue;
      unowned.push(`${key} (${await redis.type(key)})`);
    }
    expect(unowned).toEqual([]);
  });
});
