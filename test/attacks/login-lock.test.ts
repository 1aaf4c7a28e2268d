/**
 * Issue 10, item 4: the login lock counts the target, not its spelling. A
 * password guessed through every spelling of an address (`127.1`,
 * `0x7f000001`, `2130706433`, `::ffff:7f00:1`, `0x007f.0.0.1`, ...) counts
 * against one lock, keyed by the resolved address (with user and port); the
 * check and the count are one step, so fifty guesses at once cannot all pass
 * a limit of ten; and per-address limits group IPv6 clients by their /64.
 * Guesses come from many client addresses (X-Forwarded-For from a trusted
 * balancer) through two gateways, while a neighbour keeps echoing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoProbe } from '../harness/echo-probe.js';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startScriptedSshServer, type ScriptedServerHandle } from '../harness/scripted-ssh-server.js';

const LIMIT = 10;
let target: ScriptedServerHandle;
let fleet: Fleet;
let neighbour: EchoProbe;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  target = await startScriptedSshServer('many-sessions');
  fleet = await startFleet('cluster', {
    gateways: 2,
    workers: 1,
    env: {
      FLEET_TRUSTED_PROXIES: '127.0.0.1/32',
      FLEET_LIMIT_LOGIN_FAILURES_PER_TARGET: String(LIMIT),
      FLEET_LIMIT_LOGIN_WINDOW_MS: '120000',
      FLEET_LIMIT_LOGINS_PER_IP: '3',
      FLEET_LIMIT_LOGINS_IN_FLIGHT_PER_IP: '64',
    },
  });
  const healthy = await connectAs('10.200.0.1');
  await healthy.openShell({ username: target.user, password: target.password, host: target.host, port: target.port });
  await healthy.waitForOutput('$ ');
  neighbour = new EchoProbe(healthy, { boundMs: 1000, target: 'echo' });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await fleet?.stop();
  await target?.stop();
});

let turn = 0;
let addresses = 0;
/** A socket through the next gateway, from `address` (a fresh one if none is given). */
async function connectAs(address = `10.201.${Math.floor(++addresses / 250)}.${addresses % 250}`): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(fleet.urls[turn++ % fleet.urls.length]!, { extraHeaders: { 'x-forwarded-for': address } });
  clients.push(client);
  return client;
}

const guess = async (username: string, host: string, password = 'guess', from?: string) =>
  (await connectAs(from)).login({ username, password, host, port: target.port });

describe('the login lock', () => {
  it('counts every spelling of an address against one lock', async () => {
    const spellings = ['127.0.0.1', '127.1', '0x7f000001', '2130706433', '::ffff:7f00:1', '0x007f.0.0.1', '0177.0.0.1', '::FFFF:127.0.0.1', '127.0.1', '0x7f.1'];
    expect(spellings.length).toBe(LIMIT);
    for (const host of spellings) {
      const outcome = await guess(target.user, host);
      expect(outcome, host).toEqual({ success: false, message: expect.not.stringMatching(/^Too many/) });
    }
    const before = target.connectionsAccepted();
    // The right password, through yet another spelling: refused before any connection.
    const locked = await guess(target.user, '0x7F000001', target.password);
    expect(locked).toEqual({ success: false, message: expect.stringMatching(/^Too many failed logins for scripted@0x7F000001; try again in \d+ s$/) });
    expect(target.connectionsAccepted()).toBe(before);
    console.log(`${spellings.length} guesses through ${spellings.length} spellings locked the target; neighbour echo ${Math.round(await neighbour.once())} ms`);
  });

  it('lets no more than the limit of fifty guesses sent at once reach the server', async () => {
    const before = target.connectionsAccepted();
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => guess('parallel-victim', target.host)));
    const reached = target.connectionsAccepted() - before;
    const refused = outcomes.filter((outcome) => !outcome.success && /^Too many/.test(outcome.message)).length;
    console.log(`50 parallel guesses: ${reached} reached the server, ${refused} refused by the lock; neighbour echo ${Math.round(await neighbour.once())} ms`);
    expect(reached).toBeLessThanOrEqual(LIMIT);
    expect(refused).toBe(50 - reached);
    // And the target is locked now, for everyone.
    expect(await guess('parallel-victim', target.host)).toEqual({ success: false, message: expect.stringMatching(/^Too many failed logins/) });
  });

  it('groups IPv6 clients by their /64 for per-address limits', async () => {
    const sameNetwork = ['2001:db8:5:6::1', '2001:db8:5:6::2', '2001:db8:5:6:ffff::3', '2001:db8:5:6:1:2:3:4'];
    const outcomes = [];
    for (const address of sameNetwork) outcomes.push(await guess(`v6-user-${outcomes.length}`, target.host, 'guess', address));
    expect(outcomes.slice(0, 3).every((outcome) => !outcome.success && !/^Too many/.test(outcome.message))).toBe(true);
    expect(outcomes[3]).toEqual({ success: false, message: expect.stringMatching(/^Too many login attempts from your address/) });
    // Another /64 is another client.
    expect(await guess('v6-user-x', target.host, 'guess', '2001:db8:5:7::1')).toEqual({ success: false, message: expect.not.stringMatching(/^Too many/) });
  });
});
