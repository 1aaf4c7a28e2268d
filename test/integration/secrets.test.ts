/**
 * Secrets never reach logs or Redis in a readable form. Live sessions log in
 * with a password, a passphrase-protected key, and keyboard-interactive 2FA
 * (plus a failed login); others through WebSSH2's HTTP routes (Basic auth, a
 * form, JSON with a key), whose sealed hand-off the page's socket takes, and
 * one hand-off is left untaken. Meanwhile every command Redis receives is
 * captured (MONITOR) and, with the sessions open, every key of every type is
 * dumped. No secret, hand-off ids included, may appear in the clear, as hex,
 * or inside any base64 blob; planted copies show the check would see them.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startScriptedSshServer, type ScriptedServerHandle } from '../harness/scripted-ssh-server.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

describe('secrets in logs and in Redis', () => {
  let sshd: SshdHandle;
  let twoFactor: ScriptedServerHandle;
  let fleet: Fleet;
  let monitor: Redis;
  let inspector: Redis;
  const seenByRedis: string[] = [];
  const clients: ProtocolClient[] = [];

  beforeAll(async () => {
    [sshd, twoFactor] = await Promise.all([startSshd(), startScriptedSshServer('two-factor')]);
    fleet = await startFleet('cluster', { env: { LOG_LEVEL: 'trace' } });
    monitor = await new Redis(fleet.redis!.url).monitor();
    monitor.on('monitor', (_time: string, args: unknown[]) => seenByRedis.push(args.map(String).join(' ')));
    inspector = new Redis(fleet.redis!.url);
  });
  afterAll(async () => {
    clients.forEach((client) => client.close());
    monitor?.disconnect();
    inspector?.disconnect();
    await fleet?.stop();
    await Promise.all([sshd?.stop(), twoFactor?.stop()]);
  });

  it('keeps every credential, prompt answer, resume token and hand-off id out of both', async () => {
    const connect = async (gateway: number) => {
      const client = await ProtocolClient.connect(fleet.urls[gateway]!);
      clients.push(client);
      return client;
    };
    const target = { host: sshd.host, port: sshd.port, username: sshd.user };

    const withPassword = await connect(0);
    await withPassword.openShell({ ...target, password: sshd.password });
    const withKey = await connect(1);
    await withKey.openShell({ ...target, privateKey: sshd.encryptedPrivateKey, passphrase: sshd.passphrase });
    const withTwoFactor = await connect(0);
    const outcome = await withTwoFactor.login(
      { host: twoFactor.host, port: twoFactor.port, username: twoFactor.user, password: twoFactor.password, forwardAllKeyboardInteractivePrompts: true },
      (prompt) => ({ [prompt.inputs[0]!.id]: /code/i.test(prompt.inputs[0]!.label) ? twoFactor.otp : twoFactor.password }),
    );
    expect(outcome).toEqual({ success: true });
    const failed = await connect(1);
    const wrongPassword = 'Wrong-Passw0rd-For-Secrets-Test';
    expect((await failed.login({ ...target, password: wrongPassword })).success).toBe(false);

    // The HTTP login routes: each deposit is taken by the page's socket on the other gateway.
    const sshTarget = { host: sshd.host, port: String(sshd.port) };
    const basicLogin = (password: string) =>
      fetch(`${fleet.urls[0]!}/ssh/host/${sshd.host}?port=${sshd.port}`, { headers: { authorization: `Basic ${Buffer.from(`${sshd.user}:${password}`).toString('base64')}` } });
    const viaBasic = await takeHandoff(1, await basicLogin(sshd.password));
    const viaForm = await takeHandoff(0, await fetch(`${fleet.urls[1]!}/ssh`, { method: 'POST', body: new URLSearchParams({ ...sshTarget, username: sshd.user, password: sshd.password }) }));
    const viaJson = await takeHandoff(1, await fetch(`${fleet.urls[0]!}/ssh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...sshTarget, username: sshd.user, privateKey: sshd.encryptedPrivateKey, passphrase: sshd.passphrase }),
    }));
    const wrongBasicPassword = 'Wrong-Basic-Passw0rd-For-Secrets-Test';
    const viaWrongBasic = await takeHandoff(0, await basicLogin(wrongBasicPassword));
    // Deposited and never taken: its sealed credentials sit in Redis during the dump.
    const untakenPassword = 'Untaken-Handoff-Passw0rd-For-Secrets-Test';
    const untakenHandoffId = handoffIdOf(await basicLogin(untakenPassword));
    const handedOff = [viaBasic, viaForm, viaJson];
    for (const { client } of handedOff) await openHandedOffShell(client);
    expect(await autoLoginResult(viaWrongBasic.client)).toMatchObject({ success: false });

    for (const client of [withPassword, withKey]) await client.waitForOutput(/\$ $/m);
    const dump = await dumpRedis(inspector);
    expect(dump.split('\n').filter((line) => line.startsWith(`${fleet.prefix}:handoff:`))).toHaveLength(1); // the untaken one

    const resumeTokens = clients
      .flatMap((client) => client.eventsNamed('session:info'))
      .map((info) => (info as { resumeToken: string }).resumeToken);
    expect(resumeTokens).toHaveLength(3 + handedOff.length);
    const handoffIds = [...handedOff, viaWrongBasic].map(({ handoffId }) => handoffId).concat(untakenHandoffId);
    const secrets = {
      password: sshd.password,
      wrongPassword,
      wrongBasicPassword,
      untakenPassword,
      passphrase: sshd.passphrase,
      privateKeyBody: sshd.encryptedPrivateKey.split('\n')[1]!,
      twoFactorPassword: twoFactor.password,
      otp: twoFactor.otp,
      ...Object.fromEntries(resumeTokens.map((token, i) => [`resumeToken${i}`, token])),
      ...Object.fromEntries(handoffIds.map((id, i) => [`handoffId${i}`, id])),
    };
    const places = { redisCommands: seenByRedis.join('\n'), redisDump: dump, logs: fleet.allLogs().join('\n') };
    expect(seenByRedis.length).toBeGreaterThan(20);
    expect(places.logs).toContain('session started');
    expect(places.logs).toContain('credentials handed off');

    expect(leaksOf(secrets, places)).toEqual([]);

    // Mutation check: each secret, planted in each form into a copy of each place, is reported.
    const missed: string[] = [];
    for (const [secretName, secret] of Object.entries(secrets)) {
      for (const [how, planted] of Object.entries(encodings(secret))) {
        for (const [placeName, text] of Object.entries(places)) {
          const leaks = leaksOf({ [secretName]: secret }, { [placeName]: `${text}\n{"planted":"${planted}"}` });
          if (leaks.length === 0) missed.push(`${secretName} as ${how} in ${placeName}`);
        }
      }
    }
    expect(missed).toEqual([]);
  });

  /** A socket to gateway `gateway` carrying the hand-off cookie of `response`, as the page's would. */
  async function takeHandoff(gateway: number, response: Response): Promise<{ client: ProtocolClient; handoffId: string }> {
    const handoffId = handoffIdOf(response);
    const client = await ProtocolClient.connect(fleet.urls[gateway]!, { extraHeaders: { cookie: `wsf_handoff=${handoffId}` } });
    clients.push(client);
    return { client, handoffId };
  }
});

function handoffIdOf(response: Response): string {
  expect(response.status).toBe(200);
  const cookie = response.headers.getSetCookie().find((line) => line.startsWith('wsf_handoff='));
  if (!cookie) throw new Error(`no hand-off cookie in ${JSON.stringify(response.headers.getSetCookie())}`);
  return cookie.slice('wsf_handoff='.length).split(';')[0]!;
}

/** The gateway logs in by itself from the hand-off: no `authenticate` is sent. */
async function autoLoginResult(client: ProtocolClient): Promise<unknown> {
  return client.waitForEvent('authentication', (m) => (m as { action: string }).action === 'auth_result', 30_000);
}

async function openHandedOffShell(client: ProtocolClient): Promise<void> {
  expect(await autoLoginResult(client)).toEqual({ action: 'auth_result', success: true });
  await client.waitForEvent('getTerminal');
  client.socket.emit('terminal', { cols: 80, rows: 24 });
  await client.waitForOutput(/\$ $/m);
}

/** `<secret> in <place> (<form>)` for every secret readable in a place. */
function leaksOf(secrets: Record<string, string>, places: Record<string, string>): string[] {
  const leaks: string[] = [];
  for (const [placeName, text] of Object.entries(places)) {
    const forms = readableForms(text);
    for (const [secretName, secret] of Object.entries(secrets)) {
      const hex = Buffer.from(secret).toString('hex');
      const form = forms.find(({ text }) => text.includes(secret) || text.includes(hex));
      if (form) leaks.push(`${secretName} in ${placeName} (${form.how})`);
    }
  }
  return leaks;
}

/** The shapes a careless log line or Redis value would give a secret. */
function encodings(secret: string): Record<string, string> {
  const json = JSON.stringify({ password: secret });
  return {
    plain: secret,
    hex: Buffer.from(secret).toString('hex'),
    base64: Buffer.from(secret).toString('base64'),
    base64url: Buffer.from(secret).toString('base64url'),
    base64OfJson: Buffer.from(json).toString('base64'),
    base64urlOfJson: Buffer.from(json).toString('base64url'),
  };
}

/** Every key's type and contents, streams included. */
async function dumpRedis(redis: Redis): Promise<string> {
  const lines: string[] = [];
  for (const key of await redis.keys('*')) {
    const type = await redis.type(key);
    let value: unknown;
    switch (type) {
      case 'string': value = await redis.get(key); break;
      case 'hash': value = await redis.hgetall(key); break;
      case 'list': value = await redis.lrange(key, 0, -1); break;
      case 'set': value = await redis.smembers(key); break;
      case 'zset': value = await redis.zrange(key, '0', '-1', 'WITHSCORES'); break;
      case 'stream': value = await redis.xrange(key, '-', '+'); break;
      default: value = `<${type}>`;
    }
    lines.push(`${key} ${type} ${JSON.stringify(value)}`);
  }
  return lines.join('\n');
}

/**
 * The text itself plus the decoding of every base64 or base64url run in it.
 * Runs from 8 characters: the base64 of the shortest secret (a 6-digit OTP).
 */
function readableForms(text: string): Array<{ how: string; text: string }> {
  const forms = [{ how: 'plain', text }];
  for (const match of text.matchAll(/[A-Za-z0-9+/_-]{8,}={0,2}/g)) {
    const decoded = Buffer.from(match[0].replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
    forms.push({ how: 'base64', text: decoded });
  }
  return forms;
}
