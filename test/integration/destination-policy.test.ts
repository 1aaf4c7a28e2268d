/**
 * Attempts to reach a host the policy forbids, against running processes.
 * The target (a scripted ssh2 server on 127.0.0.1) counts its connections:
 * a refusal must come before any TCP connection, whatever spelling of the
 * address the client tries. Then the host lock and the port list, enforced
 * by the server whatever the page offers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageConfig } from '../../shared/protocol/page-config.js';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startScriptedSshServer, type ScriptedServerHandle } from '../harness/scripted-ssh-server.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

let target: ScriptedServerHandle;
let sshd: SshdHandle;
/** Only 127.0.0.2 may be reached: every spelling of 127.0.0.1 is forbidden. */
let narrow: Fleet;
/** Locked to the sshd's host and port. */
let locked: Fleet;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  [target, sshd] = await Promise.all([startScriptedSshServer('key-only'), startSshd()]);
  [narrow, locked] = await Promise.all([
    startFleet('all-in-one', { env: { WEBSSH2_SSH_ALLOWED_SUBNETS: '127.0.0.2/32' } }),
    startFleet('all-in-one', {
      env: { WEBSSH2_SSH_HOST: sshd.host, WEBSSH2_SSH_PORT: String(sshd.port), FLEET_SSH_HOST_LOCK: 'true', FLEET_SSH_ALLOWED_PORTS: String(sshd.port) },
    }),
  ]);
});
afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all([narrow?.stop(), locked?.stop()]);
  await Promise.all([target?.stop(), sshd?.stop()]);
});

async function attempt(fleet: Fleet, host: string, port: number, credentials = { username: 'nobody', password: 'x' }) {
  const client = await ProtocolClient.connect(fleet.urls[0]!);
  clients.push(client);
  return client.login({ ...credentials, host, port });
}

describe('subnet allow-list, judged on the resolved address', () => {
  const spellings = [
    ['a name that resolves into the forbidden range', 'localhost'],
    ['the dotted address', '127.0.0.1'],
    ['a decimal address', '2130706433'],
    ['a hexadecimal address', '0x7f000001'],
    ['an octal address', '0177.0.0.1'],
    ['a short-form address', '127.1'],
    ['an IPv4-mapped IPv6 address', '::ffff:127.0.0.1'],
    ['an IPv4-mapped IPv6 address in hex', '::ffff:7f00:1'],
    ['IPv6 loopback', '::1'],
  ] as const;

  it.each(spellings)('refuses %s (%s) before connecting', async (_what, host) => {
    const before = target.connectionsAccepted();
    const outcome = await attempt(narrow, host, target.port);
    expect(outcome).toEqual({ success: false, message: `Connection to host ${host} is not permitted` });
    expect(target.connectionsAccepted()).toBe(before);
  });

  it('lets an allowed address through to the network (nothing listens there, so it is refused by the OS)', async () => {
    const outcome = await attempt(narrow, '127.0.0.2', target.port);
    expect(outcome.success).toBe(false);
    expect(outcome).not.toMatchObject({ message: expect.stringMatching(/not permitted/) });
    expect((outcome as { message: string }).message).toMatch(/refused/i);
  });
});

describe('host lock and allowed ports', () => {
  it('logs in to the locked host', async () => {
    const outcome = await attempt(locked, sshd.host, sshd.port, { username: sshd.user, password: sshd.password });
    expect(outcome).toEqual({ success: true });
  });

  it('refuses any other host, however the client names it', async () => {
    for (const host of ['localhost', '127.0.0.2', '2130706433']) {
      expect(await attempt(locked, host, sshd.port, { username: sshd.user, password: sshd.password })).toEqual({
        success: false,
        message: `This gateway connects only to ${sshd.host}:${sshd.port}`,
      });
    }
  });

  it('refuses a port outside the list before connecting', async () => {
    const before = target.connectionsAccepted();
    expect(await attempt(locked, sshd.host, target.port)).toEqual({ success: false, message: `Connection to port ${target.port} is not permitted` });
    expect(target.connectionsAccepted()).toBe(before);
  });

  it('offers only the locked host on the page, and refuses other hosts on the HTTP routes', async () => {
    const html = await (await fetch(`${locked.urls[0]}/ssh`)).text();
    const config = JSON.parse(/id="webssh2-config">(.*?)<\/script>/s.exec(html)![1]!) as PageConfig;
    expect(config).toMatchObject({ connectionMode: 'host-locked', lockedHost: sshd.host, lockedPort: sshd.port });
    const basic = `Basic ${Buffer.from(`${sshd.user}:${sshd.password}`).toString('base64')}`;
    const other = await fetch(`${locked.urls[0]}/ssh/host/localhost`, { headers: { authorization: basic } });
    expect(other.status).toBe(403);
    expect(await other.json()).toEqual({ error: `This gateway connects only to ${sshd.host}:${sshd.port}` });
    const posted = await fetch(`${locked.urls[0]}/ssh`, { method: 'POST', body: new URLSearchParams({ username: 'u', password: 'p', host: '10.0.0.1' }) });
    expect(posted.status).toBe(403);
  });
});
