/**
 * A cluster on a Redis that requires a password and speaks only TLS
 * (`rediss://user:password@...`, the CA trusted through Node's
 * NODE_EXTRA_CA_CERTS): sessions work, Redis refuses plaintext and
 * password-less clients, and every key the cluster wrote sits under its
 * prefix, so one Redis can serve several clusters.
 */
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';
import { firstReply } from '../harness/redis-ping.js';

const REDIS_PASSWORD = 'redis-pw-for-the-fleet-8931';
let sshd: SshdHandle;
let fleet: Fleet;
let client: ProtocolClient | undefined;

beforeAll(async () => {
  sshd = await startSshd();
  fleet = await startFleet('cluster', { gateways: 1, workers: 1, redis: { password: REDIS_PASSWORD, tls: true } });
});
afterAll(async () => {
  client?.close();
  await fleet?.stop();
  await sshd?.stop();
});

it('runs sessions over TLS with AUTH, and keeps every key under the cluster prefix', async () => {
  expect(fleet.redis!.url).toMatch(/^rediss:\/\/:/);
  client = await ProtocolClient.connect(fleet.urls[0]!);
  await client.openShell({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });
  client.type('echo over-tls-$((20+1))\n');
  await client.waitForOutput('over-tls-21');

  const inspector = new Redis(fleet.redis!.url, { tls: { ca: await readFile(fleet.redis!.caFile!) } });
  try {
    const keys = await inspector.keys('*');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => !key.startsWith(`${fleet.prefix}:`))).toEqual([]);
  } finally {
    inspector.disconnect();
  }
});

it('refuses plaintext and password-less clients', async () => {
  const port = fleet.redis!.port;
  const plaintext = connect(port, '127.0.0.1');
  expect(await firstReply(plaintext)).not.toMatch(/PONG/);
  plaintext.destroy();

  const anonymous = connectTls({ port, host: '127.0.0.1', ca: await readFile(fleet.redis!.caFile!) });
  expect(await firstReply(anonymous)).toMatch(/^-NOAUTH/);
  anonymous.destroy();
});
