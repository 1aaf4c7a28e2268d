/**
 * Issue 10, item 5: a worker's login slots cannot be starved. Logins in
 * flight are capped per client address; a login holds its slot for a
 * bounded time in total, prompts included; and a hostile server cannot keep
 * a login going with keyboard-interactive rounds for ever.
 *
 * The attack: 32 sockets from one address log in to a 2FA target and never
 * answer the code prompt (the worker runs 32 logins at once). Another
 * address must still log in within 5 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromptMessage } from '../../shared/protocol/events.js';
import { EchoProbe } from '../harness/echo-probe.js';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startScriptedSshServer, type ScriptedServerHandle } from '../harness/scripted-ssh-server.js';

const LOGIN_TIMEOUT_MS = 6_000;
let twoFactor: ScriptedServerHandle;
let endless: ScriptedServerHandle;
let fleet: Fleet;
let neighbour: EchoProbe;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  [twoFactor, endless] = await Promise.all([startScriptedSshServer('two-factor'), startScriptedSshServer('endless-rounds')]);
  fleet = await startFleet('cluster', {
    gateways: 1,
    workers: 1,
    env: {
      FLEET_TRUSTED_PROXIES: '127.0.0.1/32',
      FLEET_WORKER_SETUP_CONCURRENCY: '32',
      FLEET_SSH_LOGIN_TIMEOUT_MS: String(LOGIN_TIMEOUT_MS),
      WEBSSH2_SSH_PROMPT_TIMEOUT: '60000',
    },
  });
  const healthy = await connectAs('10.210.0.1');
  expect(await healthy.login(twoFactorLogin(), answerCode)).toEqual({ success: true });
  await healthy.waitForEvent('getTerminal');
  healthy.socket.emit('terminal', { cols: 80, rows: 24 });
  await healthy.waitForOutput('$ ');
  neighbour = new EchoProbe(healthy, { boundMs: 1000, target: 'echo' });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await fleet?.stop();
  await Promise.all([twoFactor?.stop(), endless?.stop()]);
});

async function connectAs(address: string): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(fleet.urls[0]!, { extraHeaders: { 'x-forwarded-for': address } });
  clients.push(client);
  return client;
}

const twoFactorLogin = () => ({ username: twoFactor.user, password: twoFactor.password, host: twoFactor.host, port: twoFactor.port });
const answerCode = (prompt: PromptMessage) => ({ [prompt.inputs[0]!.id]: twoFactor.otp });

describe('login slots', () => {
  it('keeps 32 silent logins from one address from starving another address', async () => {
    const silent = await Promise.all(Array.from({ length: 32 }, () => connectAs('10.211.0.1')));
    const outcomes = silent.map((client) => client.login(twoFactorLogin(), undefined, 30_000));
    // The ones admitted are at the code prompt, holding slots; the rest are refused at once.
    const refused = await Promise.all(outcomes.map((outcome) => Promise.race([outcome, new Promise((resolve) => setTimeout(() => resolve('pending'), 2_000))])));
    const atPrompt = silent.filter((client) => client.eventsNamed('prompt').length > 0).length;
    const tooMany = refused.filter((outcome) => (outcome as { message?: string }).message?.startsWith('Too many logins under way from your address')).length;

    const startedAt = Date.now();
    const other = await connectAs('10.212.0.1');
    expect(await other.login(twoFactorLogin(), answerCode, 5_000)).toEqual({ success: true });
    const seconds = (Date.now() - startedAt) / 1000;
    console.log(`32 silent logins from one address: ${atPrompt} at the prompt, ${tooMany} refused; another address logged in in ${seconds.toFixed(2)} s; neighbour echo ${Math.round(await neighbour.once())} ms`);
    expect(seconds).toBeLessThan(5);
    expect(atPrompt).toBeLessThanOrEqual(8);
    expect(tooMany).toBe(32 - atPrompt);

    // The silent ones end at the total login deadline, freeing their slots.
    const ended = await Promise.all(outcomes);
    expect(ended.filter((outcome) => (outcome as { message: string }).message === `The login did not complete within ${LOGIN_TIMEOUT_MS / 1000} s`)).toHaveLength(atPrompt);
  }, 60_000);

  it('ends a login whose server sends keyboard-interactive rounds for ever', async () => {
    const client = await connectAs('10.213.0.1');
    const startedAt = Date.now();
    const outcome = await client.login({ username: 'anyone', password: 'x', host: endless.host, port: endless.port }, undefined, 20_000);
    console.log(`endless keyboard-interactive rounds: login refused after ${endless.roundsServed()} rounds in ${Date.now() - startedAt} ms`);
    expect(outcome).toEqual({ success: false, message: 'The server asked more than 10 rounds of login questions' });
    expect(endless.roundsServed()).toBeLessThanOrEqual(10);
    expect(await neighbour.once()).toBeLessThan(1000);
  });
});
