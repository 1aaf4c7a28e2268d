/**
 * The cluster on Redis with Sentinel and on a Redis Cluster whose every node
 * (and sentinel) requires a password and speaks only TLS: sessions work
 * (REDIS_PASSWORD, REDIS_SENTINEL_PASSWORD, REDIS_TLS, the CA through
 * NODE_EXTRA_CA_CERTS), the nodes refuse plaintext and password-less
 * clients, and every key the cluster wrote sits under its prefix.
 */
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import type { startRedisCluster, startRedisSentinel } from '../harness/redis-topologies.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';
import { firstReply } from '../harness/redis-ping.js';

const REDIS_PASSWORD = 'redis-topology-pw-5521';

describe.each(['sentinel', 'cluster'] as const)('Redis %s with AUTH and TLS', (topology) => {
  let sshd: SshdHandle;
  let fleet: Fleet;
  beforeAll(async () => {
    sshd = await startSshd();
    fleet = await startFleet('cluster', { gateways: 1, workers: 1, redisTopology: topology, redis: { password: REDIS_PASSWORD, tls: true } });
  });
  afterAll(async () => {
    await fleet?.stop();
    await sshd?.stop();
  });

  it('runs sessions, and keeps every key under the cluster prefix', async () => {
    expect(fleet.redisTopology!.env).toMatchObject({ REDIS_PASSWORD, REDIS_TLS: 'true' });
    const client = await ProtocolClient.connect(fleet.urls[0]!);
    try {
      await client.openShell({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });
      client.type('echo secured-$((40+2))\n');
      await client.waitForOutput('secured-42');
    } finally {
      client.close();
    }
    const inspector = fleet.redisTopology!.inspector();
    try {
      // A Cluster client knows its nodes once it is ready.
      if (inspector.status !== 'ready') await new Promise((resolve) => inspector.once('ready', resolve));
      const keys =
        'nodes' in inspector
          ? (await Promise.all(inspector.nodes('master').map((node) => node.keys('*')))).flat()
          : await inspector.keys('*');
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.filter((key) => !key.startsWith(`${fleet.prefix}:`))).toEqual([]);
    } finally {
      inspector.disconnect();
    }
  });

  it('has nodes that refuse plaintext and password-less clients', async () => {
    const handle = fleet.redisTopology as Awaited<ReturnType<typeof startRedisSentinel | typeof startRedisCluster>>;
    const ports = [...handle.nodes, ...('sentinels' in handle ? handle.sentinels : [])].map((node) => node.port);
    for (const port of ports) {
      const plaintext = connect(port, '127.0.0.1');
      expect(await firstReply(plaintext), `plaintext to ${port}`).not.toMatch(/PONG/);
      plaintext.destroy();
      const anonymous = connectTls({ port, host: '127.0.0.1', rejectUnauthorized: false });
      expect(await firstReply(anonymous), `no password to ${port}`).toMatch(/^-NOAUTH/);
      anonymous.destroy();
    }
  });
});
