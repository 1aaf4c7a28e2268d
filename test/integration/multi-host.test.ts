/**
 * The cluster on several hosts: Redis, two gateways, two workers and sshd
 * each in a network namespace of its own, with its own address. Proves that
 * nothing assumes localhost, that a session works through each gateway, and
 * that the SSH connection comes from a worker's address.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answersReady, ENTRY } from '../harness/fleet.js';
import { createTestNetwork, inHost, type HostPlacement, type TestNetwork } from '../harness/network-hosts.js';
import { spawnProcess, waitUntilReady, type ServiceProcess } from '../harness/processes.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startRedis, type RedisHandle } from '../harness/redis-server.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

const HOSTS = ['redis', 'sshd', 'gateway-a', 'gateway-b', 'worker-a', 'worker-b'] as const;
const GATEWAY_PORT = 2222;
const WORKER_HEALTH_PORT = 9090;

describe('cluster across network namespaces', () => {
  let network: TestNetwork | undefined;
  let unavailable: string | undefined;
  let redis: RedisHandle;
  let sshd: SshdHandle;
  const services: ServiceProcess[] = [];
  let knownHostsDir: string | undefined;

  beforeAll(async () => {
    const created = await createTestNetwork(HOSTS);
    if ('unavailable' in created) {
      unavailable = created.unavailable;
      return;
    }
    network = created;
    const host = (name: (typeof HOSTS)[number]) => created.hosts[name]!;
    // One after the other, so that afterAll stops whichever did start.
    redis = await startRedis({ host: host('redis') });
    sshd = await startSshd({ host: host('sshd') });
    // The workers know the target's host key the way an operator would tell them: a known_hosts file.
    knownHostsDir = await mkdtemp(join(tmpdir(), 'fleet-known-hosts-'));
    const knownHosts = join(knownHostsDir, 'known_hosts');
    await writeFile(knownHosts, `[${sshd.host}]:${sshd.port} ${sshd.hostPublicKey}\n`);
    const env = {
      FLEET_SSH_KNOWN_HOSTS: knownHosts,
      REDIS_URL: redis.url,
      WEBSSH2_SESSION_SECRET: randomBytes(32).toString('base64url'),
      WEBSSH2_SSH_ALLOWED_SUBNETS: `${host('sshd').address}/32`,
      LOG_LEVEL: 'info',
    };
    const start = (name: string, placement: HostPlacement, entry: string, extra: Record<string, string>, healthPort: number) => {
      const service = spawnProcess(name, ...inHost(placement, process.execPath, [entry]), { ...env, FLEET_INSTANCE_ID: name, ...extra });
      services.push(service);
      return waitUntilReady(service, 'answering /readyz', () => answersReady(`http://${placement.address}:${healthPort}`), 20_000);
    };
    await Promise.all([
      ...(['worker-a', 'worker-b'] as const).map((name) => start(name, host(name), ENTRY.worker, { FLEET_METRICS_PORT: String(WORKER_HEALTH_PORT) }, WORKER_HEALTH_PORT)),
      ...(['gateway-a', 'gateway-b'] as const).map((name) =>
        start(name, host(name), ENTRY.gateway, { WEBSSH2_LISTEN_IP: host(name).address, WEBSSH2_LISTEN_PORT: String(GATEWAY_PORT) }, GATEWAY_PORT),
      ),
    ]);
  });
  afterAll(async () => {
    await Promise.all(services.map((service) => service.kill('SIGKILL')));
    await Promise.all([redis?.stop(), sshd?.stop()]);
    await network?.destroy();
    if (knownHostsDir) await rm(knownHostsDir, { recursive: true, force: true });
  });

  it('serves a session through each gateway, connecting to sshd from a worker', async (context) => {
    if (!network) {
      console.warn(`skipped: ${unavailable}`);
      context.skip();
      return;
    }
    const { hosts } = network;
    const workerAddresses = [hosts['worker-a']!.address, hosts['worker-b']!.address];
    for (const gateway of ['gateway-a', 'gateway-b']) {
      const client = await ProtocolClient.connect(`http://${hosts[gateway]!.address}:${GATEWAY_PORT}`);
      await client.openShell({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });
      // SSH_CONNECTION = client address, client port, server address, server port.
      client.type('echo "via=$SSH_CONNECTION="\r');
      const text = await client.waitForOutput(/via=(\S+) \d+ (\S+) \d+=/);
      const [, from, to] = /via=(\S+) \d+ (\S+) \d+=/.exec(text)!;
      expect(workerAddresses).toContain(from);
      expect(to).toBe(hosts.sshd!.address);
      client.close();
    }
  });
});
