/**
 * Issue 10, item 8: host-key trust and the host lock follow the resolved
 * target, not its spelling. A key an operator seeded for a name holds when
 * the host is reached by its address in any spelling (unknown keys are
 * refused here, so a login proves the key was found); keys users accept
 * cannot grow the trust store past its bound; and FLEET_SSH_HOST_LOCK locks
 * the port as well as the host. A neighbour keeps echoing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoProbe } from '../harness/echo-probe.js';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startScriptedSshServer, type ScriptedServerHandle } from '../harness/scripted-ssh-server.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

const MAX_STORED = 3;
let dir: string;
let sshd: SshdHandle;
let scripted: ScriptedServerHandle[];
let byName: Fleet;
let bounded: Fleet;
let locked: Fleet;
let neighbour: EchoProbe;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-host-identity-'));
  [sshd, scripted] = await Promise.all([startSshd(), Promise.all(Array.from({ length: 4 }, () => startScriptedSshServer('many-sessions')))]);
  const knownHosts = join(dir, 'known_hosts');
  // The operator knows the host by name only.
  await writeFile(knownHosts, `[localhost]:${sshd.port} ${sshd.hostPublicKey}\n`);
  [byName, bounded, locked] = await Promise.all([
    startFleet('cluster', { gateways: 1, workers: 1, env: { WEBSSH2_SSH_HOSTKEY_UNKNOWN_ACTION: 'reject', FLEET_SSH_KNOWN_HOSTS: knownHosts } }),
    startFleet('cluster', { gateways: 1, workers: 1, env: { WEBSSH2_SSH_HOSTKEY_UNKNOWN_ACTION: 'prompt', FLEET_SSH_HOSTKEY_MAX_STORED: String(MAX_STORED) } }),
    startFleet('all-in-one', { env: { WEBSSH2_SSH_HOST: '127.0.0.1', WEBSSH2_SSH_PORT: String(sshd.port), FLEET_SSH_HOST_LOCK: 'true' } }),
  ]);
  const healthy = await connect(bounded);
  // Its key is the first the store holds (of MAX_STORED).
  healthy.socket.on('hostkey:verify', () => healthy.socket.emit('hostkey:verify-response', { action: 'accept' }));
  await healthy.openShell({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });
  await healthy.waitForOutput(/\$ $/m);
  neighbour = new EchoProbe(healthy, { boundMs: 1000 });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all([byName, bounded, locked].map((fleet) => fleet?.stop()));
  await Promise.all([sshd?.stop(), ...(scripted ?? []).map((server) => server.stop())]);
  await rm(dir, { recursive: true, force: true });
});

async function connect(fleet: Fleet): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(fleet.urls[0]!);
  clients.push(client);
  return client;
}

describe('host identity', () => {
  it('holds a key seeded for a name when the host is reached by any spelling of its address', async () => {
    for (const host of ['127.0.0.1', '127.1', '0x7f000001', '::ffff:7f00:1', '2130706433']) {
      const client = await connect(byName);
      expect(await client.login({ username: sshd.user, password: sshd.password, host, port: sshd.port }), host).toEqual({ success: true });
      expect(client.eventsNamed('hostkey:verified'), host).toMatchObject([{ source: 'server' }]);
      client.close();
    }
    expect(await neighbour.once()).toBeLessThan(1000);
  });

  it('bounds the trust store: keys accepted beyond it hold for their login only', async () => {
    const redis = new Redis(bounded.redis!.url);
    try {
      // The neighbour's key is stored already: two more fit, then the store is full.
      const asked: number[] = [];
      for (const [index, server] of scripted.entries()) {
        const client = await connect(bounded);
        client.socket.on('hostkey:verify', () => {
          asked.push(index);
          client.socket.emit('hostkey:verify-response', { action: 'accept' });
        });
        expect(await client.login({ username: server.user, password: server.password, host: server.host, port: server.port })).toEqual({ success: true });
        client.close();
      }
      const stored = await redis.hlen(`${bounded.prefix}:hostkeys`);
      console.log(`${scripted.length} servers' keys accepted with a store bound of ${MAX_STORED}: ${stored} stored; neighbour echo ${Math.round(await neighbour.once())} ms`);
      expect(asked).toEqual([0, 1, 2, 3]);
      expect(stored).toBeLessThanOrEqual(MAX_STORED);
      // The one that did not fit is asked about again; one that did is not.
      const again = async (server: ScriptedServerHandle) => {
        const client = await connect(bounded);
        let prompted = false;
        client.socket.on('hostkey:verify', () => {
          prompted = true;
          client.socket.emit('hostkey:verify-response', { action: 'accept' });
        });
        expect(await client.login({ username: server.user, password: server.password, host: server.host, port: server.port })).toEqual({ success: true });
        client.close();
        return prompted;
      };
      expect(await again(scripted[0]!)).toBe(false);
      expect(await again(scripted[3]!)).toBe(true);
    } finally {
      redis.disconnect();
    }
  });

  it('locks the port as well as the host, in any spelling of the host', async () => {
    const before = scripted[0]!.connectionsAccepted();
    const otherPort = await connect(locked);
    expect(await otherPort.login({ username: 'u', password: 'p', host: '127.0.0.1', port: scripted[0]!.port })).toEqual({
      success: false,
      message: `This gateway connects only to 127.0.0.1:${sshd.port}`,
    });
    expect(scripted[0]!.connectionsAccepted()).toBe(before);
    const respelled = await connect(locked);
    expect(await respelled.login({ username: sshd.user, password: sshd.password, host: '::ffff:7f00:1', port: sshd.port })).toEqual({ success: true });
  });
});
