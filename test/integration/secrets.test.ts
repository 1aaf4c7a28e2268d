/**
 * Secrets never reach logs or Redis in a readable form. Live sessions log in
 * with a password, a passphrase-protected key, and keyboard-interactive 2FA
 * (plus a failed login); meanwhile every command Redis receives is captured
 * (MONITOR) and, with the sessions open, every key of every type is dumped.
 * No secret may appear in the clear, as hex, or inside any base64 blob.
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

  it('keeps every credential, prompt answer and resume token out of both', async () => {
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

    for (const client of [withPassword, withKey]) await client.waitForOutput(/\$ $/m);
    const dump = await dumpRedis(inspector);

    const resumeTokens = clients
      .flatMap((client) => client.eventsNamed('session:info'))
      .map((info) => (info as { resumeToken: string }).resumeToken);
    expect(resumeTokens).toHaveLength(3);
    const secrets = {
      password: sshd.password,
      wrongPassword,
      passphrase: sshd.passphrase,
      privateKeyBody: sshd.encryptedPrivateKey.split('\n')[1]!,
      twoFactorPassword: twoFactor.password,
      otp: twoFactor.otp,
      ...Object.fromEntries(resumeTokens.map((token, i) => [`resumeToken${i}`, token])),
    };
    const places = { redisCommands: seenByRedis.join('\n'), redisDump: dump, logs: fleet.allLogs().join('\n') };
    expect(seenByRedis.length).toBeGreaterThan(20);
    expect(places.logs).toContain('session started');

    const leaks: string[] = [];
    for (const [placeName, text] of Object.entries(places)) {
      for (const [secretName, secret] of Object.entries(secrets)) {
        for (const form of readableForms(text)) {
          if (form.text.includes(secret) || form.text.includes(Buffer.from(secret).toString('hex'))) {
            leaks.push(`${secretName} in ${placeName} (${form.how})`);
            break;
          }
        }
      }
    }
    expect(leaks).toEqual([]);
  });
});

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

/** The text itself plus the decoding of every base64 or base64url run in it. */
function readableForms(text: string): Array<{ how: string; text: string }> {
  const forms = [{ how: 'plain', text }];
  for (const match of text.matchAll(/[A-Za-z0-9+/_-]{16,}={0,2}/g)) {
    const decoded = Buffer.from(match[0].replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
    forms.push({ how: 'base64', text: decoded });
  }
  return forms;
}
