/**
 * Issue 10, item 6: floods from clients that never log in are bounded. A
 * socket that does not log in is closed after FLEET_AUTH_TIMEOUT_MS; one
 * address holds at most FLEET_LIMIT_SOCKETS_PER_IP sockets on a gateway;
 * the HTTP login routes' hand-offs are limited per address and in number,
 * so a flood from many addresses cannot fill Redis; unknown events are
 * logged once per socket, with a short name and never their payload. A
 * neighbour keeps echoing throughout.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoProbe } from '../harness/echo-probe.js';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

const AUTH_TIMEOUT_MS = 1_500;
const SOCKETS_PER_IP = 5;
const HANDOFFS_PER_IP = 4;
const MAX_PENDING = 25;
let sshd: SshdHandle;
let fleet: Fleet;
let redis: Redis;
let neighbour: EchoProbe;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  fleet = await startFleet('cluster', {
    gateways: 1,
    workers: 1,
    env: {
      FLEET_TRUSTED_PROXIES: '127.0.0.1/32',
      FLEET_AUTH_TIMEOUT_MS: String(AUTH_TIMEOUT_MS),
      FLEET_LIMIT_SOCKETS_PER_IP: String(SOCKETS_PER_IP),
      FLEET_LIMIT_HANDOFFS_PER_IP: String(HANDOFFS_PER_IP),
      FLEET_HANDOFF_MAX_PENDING: String(MAX_PENDING),
    },
  });
  redis = new Redis(fleet.redis!.url);
  const healthy = await connectAs('10.220.0.1');
  await healthy.openShell({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });
  await healthy.waitForOutput(/\$ $/m);
  neighbour = new EchoProbe(healthy, { boundMs: 1000 });
});
afterAll(async () => {
  for (const client of clients) client.close();
  redis?.disconnect();
  await fleet?.stop();
  await sshd?.stop();
});

async function connectAs(address: string): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(fleet.urls[0]!, { extraHeaders: { 'x-forwarded-for': address } });
  clients.push(client);
  return client;
}

describe('floods before login', () => {
  it('closes a socket that does not log in within the auth timeout', async () => {
    const idle = await connectAs('10.221.0.1');
    const startedAt = Date.now();
    await idle.waitForEvent('disconnect', () => true, 10_000);
    const seconds = (Date.now() - startedAt) / 1000;
    console.log(`an idle socket was closed after ${seconds.toFixed(2)} s (timeout ${AUTH_TIMEOUT_MS / 1000} s); neighbour echo ${Math.round(await neighbour.once())} ms`);
    expect(idle.eventsNamed('ssherror')).toContain('No login within 2 s: connection closed');
    expect(seconds).toBeGreaterThanOrEqual(AUTH_TIMEOUT_MS / 1000 - 0.2);
  });

  it('caps the sockets one address holds, and not another address', async () => {
    const held = await Promise.all(Array.from({ length: SOCKETS_PER_IP }, () => connectAs('10.222.0.1')));
    await expect(connectAs('10.222.0.1')).rejects.toThrow();
    // The same /64 is the same client.
    await Promise.all(Array.from({ length: SOCKETS_PER_IP }, (_, i) => connectAs(`2001:db8:22::${i + 1}`)));
    await expect(connectAs('2001:db8:22::ff')).rejects.toThrow();
    const other = await connectAs('10.222.0.2');
    expect(other.socket.connected).toBe(true);
    // A socket that closes frees its place.
    held[0]!.close();
    for (let attempt = 0; ; attempt++) {
      const again = await connectAs('10.222.0.1').catch(() => undefined);
      if (again) break;
      expect(attempt).toBeLessThan(50);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await neighbour.once()).toBeLessThan(1000);
  });

  it('limits login hand-offs per address and in number, so a flood cannot fill Redis', async () => {
    const post = (address: string) =>
      fetch(`${fleet.urls[0]!}/ssh`, {
        method: 'POST',
        headers: { 'x-forwarded-for': address },
        body: new URLSearchParams({ username: 'flood', password: 'x'.repeat(8000), host: sshd.host, privateKey: 'k'.repeat(60_000) }),
      });
    const fromOne = await Promise.all(Array.from({ length: HANDOFFS_PER_IP + 3 }, () => post('10.223.0.1')));
    expect(fromOne.filter((response) => response.status === 200)).toHaveLength(HANDOFFS_PER_IP);
    expect(fromOne.filter((response) => response.status === 429)).toHaveLength(3);

    const memoryBefore = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    const fromMany = await Promise.all(Array.from({ length: 200 }, (_, i) => post(`10.224.${Math.floor(i / 200)}.${i % 200}`)));
    const statuses = fromMany.map((response) => response.status);
    const handoffs = await redis.keys(`${fleet.prefix}:handoff:*`);
    const memoryGrowth = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]) - memoryBefore;
    console.log(
      `200 login posts from 200 addresses: ${statuses.filter((s) => s === 200).length} handed off, ${statuses.filter((s) => s === 503).length} refused (503); ` +
        `${handoffs.length} hand-offs in Redis, +${(memoryGrowth / 1024 / 1024).toFixed(1)} MiB; neighbour echo ${Math.round(await neighbour.once())} ms`,
    );
    expect(handoffs.length).toBeLessThanOrEqual(MAX_PENDING);
    expect(statuses.filter((status) => status === 503).length).toBeGreaterThanOrEqual(200 - MAX_PENDING);
    expect(memoryGrowth).toBeLessThan(16 * 1024 * 1024);
  });

  it('logs an unknown event once per socket, with a short name and never its payload', async () => {
    const linesBefore = fleet.allLogs().length;
    const bytesBefore = fleet.allLogs().reduce((sum, line) => sum + line.length, 0);
    const noisy = await connectAs('10.225.0.1');
    const emitRaw = noisy.socket.emit.bind(noisy.socket) as (event: string, ...args: unknown[]) => void;
    const secret = `payload-${Date.now()}`;
    for (let i = 0; i < 20; i++) emitRaw(`unknown-${i}-${'x'.repeat(100_000)}`, { secret });
    await noisy.waitForEvent('ssherror', (message) => String(message).startsWith('Unsupported event: unknown-'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const added = fleet.allLogs().slice(linesBefore);
    const bytes = fleet.allLogs().reduce((sum, line) => sum + line.length, 0) - bytesBefore;
    console.log(`20 unknown events with 100 KB names: ${added.filter((line) => line.includes('unknown event')).length} log line(s), ${bytes} bytes of log in all`);
    expect(added.filter((line) => line.includes('unknown event'))).toHaveLength(1);
    expect(added.join('\n')).not.toContain(secret);
    expect(bytes).toBeLessThan(4_096);
  });
});
