/**
 * Abuse limits against running processes. A cluster of two gateways shares
 * its counters in Redis, so an attacker gains nothing by spreading attempts
 * over gateways; the load balancer in front is trusted for X-Forwarded-For,
 * which gives each test a client address of its own. Then the clocks:
 * an unanswered login prompt, idle timeout and maximum duration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromptMessage } from '../../shared/protocol/events.js';
import { freePort } from '../harness/free-port.js';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startScriptedSshServer, type ScriptedServerHandle } from '../harness/scripted-ssh-server.js';

const WINDOW_MS = 4_000;
let target: ScriptedServerHandle;
let cluster: Fleet;
let timed: Fleet;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  target = await startScriptedSshServer('two-factor');
  [cluster, timed] = await Promise.all([
    startFleet('cluster', {
      gateways: 2,
      workers: 1,
      env: {
        FLEET_TRUSTED_PROXIES: '127.0.0.1/32',
        FLEET_LIMIT_LOGIN_WINDOW_MS: String(WINDOW_MS),
        FLEET_LIMIT_LOGIN_FAILURES_PER_TARGET: '3',
        FLEET_LIMIT_LOGINS_PER_IP: '6',
        FLEET_LIMIT_SESSIONS_PER_IP: '2',
        FLEET_LIMIT_SESSION_WINDOW_MS: String(WINDOW_MS),
        FLEET_LIMIT_EVENTS_PER_SECOND: '50',
      },
    }),
    startFleet('all-in-one', { env: { FLEET_IDLE_TIMEOUT_MS: '1500', FLEET_MAX_SESSION_DURATION_MS: '4000', WEBSSH2_SSH_PROMPT_TIMEOUT: '2000' } }),
  ]);
});
afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all([cluster?.stop(), timed?.stop()]);
  await target?.stop();
});

let gatewayTurn = 0;
/** A socket on the next gateway, seen as coming from `clientAddress` through a trusted balancer. */
async function connectAs(clientAddress: string, fleet = cluster): Promise<ProtocolClient> {
  const url = fleet.urls[gatewayTurn++ % fleet.urls.length]!;
  const client = await ProtocolClient.connect(url, { extraHeaders: { 'x-forwarded-for': clientAddress } });
  clients.push(client);
  return client;
}

/** The scripted target asks for a one-time code after the password. */
const answerOtp = (prompt: PromptMessage) => ({ [prompt.inputs[0]!.id]: target.otp });
const login = (username = target.user, password = target.password) => ({ username, password, host: target.host, port: target.port });

describe('login limits (shared by the cluster)', () => {
  it('locks a target after repeated failures from several addresses and gateways, then lets it in again', async () => {
    // A target of its own: its lock must not reach the other tests' logins.
    const locked = await startScriptedSshServer('two-factor');
    try {
      const loginTo = (password: string) => ({ username: locked.user, password, host: locked.host, port: locked.port });
      const answer = (prompt: PromptMessage) => ({ [prompt.inputs[0]!.id]: locked.otp });
      for (const address of ['10.1.0.1', '10.1.0.2', '10.1.0.3']) {
        const outcome = await (await connectAs(address)).login(loginTo('guess'));
        expect(outcome.success).toBe(false);
      }
      const acceptedBefore = locked.connectionsAccepted();
      const refused = await (await connectAs('10.1.0.4')).login(loginTo(locked.password), answer);
      expect(refused).toEqual({ success: false, message: expect.stringMatching(/^Too many failed logins for scripted@127\.0\.0\.1; try again in \d+ s$/) });
      // Refused before any SSH connection was made.
      expect(locked.connectionsAccepted()).toBe(acceptedBefore);

      // The window passes: the right password gets in again. Asked until then, never after a fixed sleep.
      const lockedAt = Date.now();
      let outcome = refused;
      // A fresh client address per try: the per-address login limit is not what this test is about.
      for (let attempt = 1; !outcome.success && Date.now() - lockedAt < WINDOW_MS + 15_000; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        outcome = await (await connectAs(`10.1.1.${attempt}`)).login(loginTo(locked.password), answer);
        if (!outcome.success) expect(outcome.message).toMatch(/^Too many failed logins/);
      }
      expect(outcome).toEqual({ success: true });
    } finally {
      await locked.stop();
    }
  });

  it('does not count a host that is down against its users', async () => {
    const closedPort = await freePort();
    for (let i = 0; i < 5; i++) {
      const outcome = await (await connectAs(`10.6.0.${i + 1}`)).login({ ...login(), port: closedPort });
      expect(outcome).toEqual({ success: false, message: expect.stringMatching(/refused/i) });
    }
  });

  it('caps the logins one address may start, on any gateway', async () => {
    const outcomes = [];
    for (let i = 0; i < 7; i++) outcomes.push(await (await connectAs('10.2.0.1')).login(login(`user-${i}`, 'wrong')));
    expect(outcomes.slice(0, 6).every((outcome) => !outcome.success && !/^Too many/.test(outcome.message))).toBe(true);
    expect(outcomes[6]).toEqual({ success: false, message: expect.stringMatching(/^Too many login attempts from your address; try again in \d+ s$/) });
    // Another address is not affected.
    expect((await (await connectAs('10.2.0.2')).login(login(), answerOtp)).success).toBe(true);
  });

  it('caps the sessions one address may open', async () => {
    expect((await (await connectAs('10.3.0.1')).login(login(), answerOtp)).success).toBe(true);
    expect((await (await connectAs('10.3.0.1')).login(login(), answerOtp)).success).toBe(true);
    const third = await (await connectAs('10.3.0.1')).login(login(), answerOtp);
    expect(third).toEqual({ success: false, message: expect.stringMatching(/^Too many new sessions from your address; try again in \d+ s$/) });
  });
});

describe('event rate per socket', () => {
  it('drops a burst over the limit with a warning, closes a flood, and the neighbour keeps working', async () => {
    const neighbour = await connectAs('10.4.0.1');
    expect((await neighbour.login(login(), answerOtp)).success).toBe(true);
    await neighbour.waitForEvent('getTerminal');
    neighbour.socket.emit('terminal', { cols: 80, rows: 24 });
    await neighbour.waitForOutput('$ ');

    const bursty = await connectAs('10.4.0.2');
    for (let i = 0; i < 70; i++) bursty.socket.emit('resize', { cols: 80, rows: 24 });
    await bursty.waitForEvent('ssherror', (message) => /^Too many events \(over 50 per second\); some were dropped$/.test(String(message)));
    expect(bursty.socket.connected).toBe(true);

    const flooder = await connectAs('10.4.0.3');
    for (let i = 0; i < 400; i++) flooder.socket.emit('resize', { cols: 80, rows: 24 });
    await flooder.waitForEvent('disconnect');
    expect(flooder.eventsNamed('ssherror')).toContain('Too many events: connection closed');

    neighbour.type('size\r');
    await neighbour.waitForOutput(/24 80/);
  });
});

describe('session clocks', () => {
  async function shell(): Promise<ProtocolClient> {
    const client = await connectAs('10.5.0.1', timed);
    expect((await client.login(login(), answerOtp)).success).toBe(true);
    await client.waitForEvent('getTerminal');
    client.socket.emit('terminal', { cols: 80, rows: 24 });
    await client.waitForOutput('$ ');
    return client;
  }

  it('gives up on a login prompt nobody answers', async () => {
    const client = await connectAs('10.5.0.2', timed);
    const startedAt = Date.now();
    // No answer for the one-time code the target asks for.
    const outcome = await client.login(login());
    expect(outcome).toEqual({ success: false, message: 'No answer to the login prompt within 2 s' });
    expect(client.eventsNamed('prompt')).toHaveLength(1);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_900);
  });

  it('closes a session with no input and no output for the idle timeout', async () => {
    const client = await shell();
    const startedAt = Date.now();
    const closed = (await client.waitForEvent('session:closed', () => true, 10_000)) as { reason: string };
    expect(closed.reason).toBe('Session closed after 1.5 s without input or output');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_300);
    expect(client.eventsNamed('ssherror')).toContain('Session closed after 1.5 s without input or output');
  });

  it('keeps a busy session past the idle timeout, and closes it at the maximum duration', async () => {
    const client = await shell();
    const startedAt = Date.now();
    const typing = setInterval(() => client.type('size\r'), 300);
    try {
      const closed = (await client.waitForEvent('session:closed', () => true, 10_000)) as { reason: string };
      expect(closed.reason).toBe('Session closed: it reached the maximum duration of 4 s');
      expect(Date.now() - startedAt).toBeGreaterThan(2_500);
    } finally {
      clearInterval(typing);
    }
  });
});
