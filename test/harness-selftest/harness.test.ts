import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import ssh2, { type Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEd25519KeyPair } from '../harness/ed25519-key.js';
import { freePort } from '../harness/free-port.js';
import { spawnProcess, spawnService } from '../harness/processes.js';
import { startRedis, type RedisHandle } from '../harness/redis-server.js';
import {
  startScriptedSshServer,
  type ScriptedBehaviour,
  type ScriptedServerHandle,
} from '../harness/scripted-ssh-server.js';
import { startSshd, TEST_PASSWORD, type SshdHandle } from '../harness/sshd.js';
import { compileHarnessToTemp } from './compiled-harness.js';
import { connectClient, execCommand, openShell, outputOf } from './ssh-client.js';

/** Zombies count as dead: they have exited and merely wait for a reaper. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function acceptsTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('freePort', () => {
  it('returns a port that can be bound right away', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
    expect(port).toBeGreaterThan(0);
  });
});

describe('generateEd25519KeyPair', () => {
  it('only returns keys ssh2 can parse, despite ssh2 keygen producing a bad one in ~1/256', () => {
    for (let i = 0; i < 2_000; i++) {
      const pair = generateEd25519KeyPair();
      expect(ssh2.utils.parseKey(pair.private)).not.toBeInstanceOf(Error);
      expect(ssh2.utils.parseKey(pair.public)).not.toBeInstanceOf(Error);
    }
  });
});

describe('spawnService', () => {
  let scriptDir: string;
  const script = (name: string, body: string): Promise<string> => {
    const path = join(scriptDir, name);
    return writeFile(path, body).then(() => path);
  };

  beforeAll(async () => {
    scriptDir = await mkdtemp(join(tmpdir(), 'fleet-service-'));
  });
  afterAll(async () => {
    await rm(scriptDir, { recursive: true, force: true });
  });

  it('captures stdout and stderr lines, passes env, and stops gracefully on SIGTERM', async () => {
    const entry = await script(
      'graceful.js',
      `process.on('SIGTERM', () => { console.log('shutting down'); process.exit(0); });
       setInterval(() => {}, 1000);
       console.error('warming up on stderr');
       console.log('listening on ' + process.env.SERVICE_PORT);`,
    );
    const service = spawnService('graceful', entry, { SERVICE_PORT: '4321' });
    expect(await service.waitForLog(/listening on \d+/)).toBe('listening on 4321');
    expect(service.logs).toContain('warming up on stderr');
    // Already-seen lines match without waiting.
    expect(await service.waitForLog(/warming/, 1)).toBe('warming up on stderr');

    expect(await service.kill()).toEqual({ code: 0, signal: null });
    expect(service.logs).toContain('shutting down');
    expect(isAlive(service.pid)).toBe(false);
  });

  it('reports the signal when killed hard, and times out waiting for absent lines', async () => {
    const entry = await script('stubborn.js', `process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('up');`);
    const service = spawnService('stubborn', entry, {});
    await service.waitForLog(/up/);
    await expect(service.waitForLog(/never printed/, 100)).rejects.toThrow(/stubborn .* no log line matched/s);
    expect(await service.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('rejects a pending waitForLog when the process exits first', async () => {
    const entry = await script('crashing.js', `console.log('about to fail'); process.exit(2);`);
    const service = spawnService('crashing', entry, {});
    await expect(service.waitForLog(/ready/)).rejects.toThrow(/exited \(code 2\).*about to fail/s);
    expect(await service.exited).toEqual({ code: 2, signal: null });
  });
});

describe('startRedis', () => {
  let redis: RedisHandle;
  let protectedRedis: RedisHandle;
  const clients: Redis[] = [];
  const clientFor = (url: string): Redis => {
    const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    [redis, protectedRedis] = await Promise.all([startRedis(), startRedis({ password: 'redis-secret' })]);
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await Promise.all([redis.stop(), protectedRedis.stop()]);
  });

  it('serves commands at its url', async () => {
    const client = clientFor(redis.url);
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await client.ping()).toBe('PONG');
    await client.set('harness:key', 'value');
    expect(await client.get('harness:key')).toBe('value');
  });

  it('enforces the password, which the url carries', async () => {
    const unauthenticated = clientFor(`redis://127.0.0.1:${protectedRedis.port}`);
    // Its connection handshake fails too; without a listener ioredis logs that as unhandled.
    unauthenticated.on('error', () => {});
    await expect(unauthenticated.get('x')).rejects.toThrow(/NOAUTH/);
    expect(await clientFor(protectedRedis.url).ping()).toBe('PONG');
  });

  it('restarts empty on the same port with a new process', async () => {
    const before = clientFor(redis.url);
    await before.set('survives', 'no');
    const oldPid = redis.pid;
    await redis.restart();
    expect(isAlive(oldPid)).toBe(false);
    expect(redis.pid).not.toBe(oldPid);
    const after = clientFor(redis.url);
    expect(await after.get('survives')).toBeNull();
    expect(await after.dbsize()).toBe(0);
  });

  it('releases its port and process on stop', async () => {
    const extra = await startRedis();
    await extra.stop();
    expect(isAlive(extra.pid)).toBe(false);
    expect(await acceptsTcp(extra.port)).toBe(false);
  });
});

describe('startSshd', () => {
  let sshd: SshdHandle;
  const clients: Client[] = [];
  const login = async (config: ssh2.ConnectConfig, setUp?: (client: Client) => void): Promise<Client> => {
    const client = await connectClient({ host: sshd.host, port: sshd.port, username: sshd.user, ...config }, setUp);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    for (const client of clients) client.end();
    await sshd.stop();
  });

  it('accepts the password and runs commands as the test user', async () => {
    expect(sshd.password).toBe(TEST_PASSWORD);
    const client = await login({ password: sshd.password });
    expect(await execCommand(client, 'echo hi; id -un')).toEqual({ stdout: `hi\n${sshd.user}\n`, stderr: '', code: 0 });
  });

  it('presents the advertised host key', async () => {
    const expected = ssh2.utils.parseKey(sshd.hostPublicKey);
    if (expected instanceof Error) throw expected;
    let verified = false;
    await login({
      password: sshd.password,
      hostVerifier: (key: Buffer) => (verified = key.equals(expected.getPublicSSH())),
    });
    expect(verified).toBe(true);
  });

  it('answers keyboard-interactive through PAM with a single password prompt', async () => {
    const prompts: ssh2.Prompt[][] = [];
    const client = await login({ tryKeyboard: true }, (c) =>
      c.on('keyboard-interactive', (_name, _instructions, _lang, asked, answer) => {
        prompts.push(asked);
        answer(asked.map(() => sshd.password));
      }),
    );
    expect(prompts).toEqual([[{ prompt: 'Password: ', echo: false }]]);
    expect((await execCommand(client, 'echo hi')).stdout).toBe('hi\n');
  });

  it('accepts the unencrypted private key', async () => {
    const client = await login({ privateKey: sshd.privateKey });
    expect((await execCommand(client, 'echo hi')).stdout).toBe('hi\n');
  });

  it('accepts the encrypted private key with its passphrase', async () => {
    expect(sshd.encryptedPrivateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(ssh2.utils.parseKey(sshd.encryptedPrivateKey)).toBeInstanceOf(Error);
    const client = await login({ privateKey: sshd.encryptedPrivateKey, passphrase: sshd.passphrase });
    expect((await execCommand(client, 'echo hi')).stdout).toBe('hi\n');
  });

  // PAM's failure delay makes a rejection take about 2-3 s.
  it('rejects a wrong password', { timeout: 15_000 }, async () => {
    await expect(login({ password: 'not-the-password' })).rejects.toThrow(/authentication methods failed/);
  });

  it('handles many concurrent logins', { timeout: 30_000 }, async () => {
    const logins = Array.from({ length: 20 }, () => login({ password: sshd.password }));
    const results = await Promise.all((await Promise.all(logins)).map((client) => execCommand(client, 'echo hi')));
    expect(results.every((result) => result.stdout === 'hi\n')).toBe(true);
  });

  it('drops open sessions and frees the port on stop', async () => {
    const extra = await startSshd();
    const client = await connectClient({ host: extra.host, port: extra.port, username: extra.user, password: extra.password });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await extra.stop();
    await closed;
    expect(isAlive(extra.pid)).toBe(false);
    expect(await acceptsTcp(extra.port)).toBe(false);
  });
});

describe('startScriptedSshServer', () => {
  const servers: ScriptedServerHandle[] = [];
  const clients: Client[] = [];
  const start = async (behaviour: ScriptedBehaviour): Promise<ScriptedServerHandle> => {
    const server = await startScriptedSshServer(behaviour);
    servers.push(server);
    return server;
  };
  const login = async (
    server: ScriptedServerHandle,
    config: ssh2.ConnectConfig,
    setUp?: (client: Client) => void,
  ): Promise<Client> => {
    const client = await connectClient({ host: server.host, port: server.port, username: server.user, ...config }, setUp);
    clients.push(client);
    return client;
  };
  const answeringTwoFactor = (otp: string, seen: unknown[] = []) => (client: Client) =>
    client.on('keyboard-interactive', (name, instructions, _lang, prompts, answer) => {
      seen.push({ name, instructions, prompts });
      answer([prompts[0]?.prompt === 'Password: ' ? 'scripted-pw-5150' : otp]);
    });

  afterAll(async () => {
    for (const client of clients) client.end();
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('two-factor: asks for the password, then the verification code', async () => {
    const server = await start('two-factor');
    expect(server.password).toBe('scripted-pw-5150');
    const seen: unknown[] = [];
    await login(server, { tryKeyboard: true }, answeringTwoFactor(server.otp, seen));
    expect(seen).toEqual([
      { name: '', instructions: '', prompts: [{ prompt: 'Password: ', echo: false }] },
      {
        name: '',
        instructions: 'Enter the code from your authenticator',
        prompts: [{ prompt: 'Verification code: ', echo: true }],
      },
    ]);
  });

  it('two-factor: rejects a wrong code and plain password auth', async () => {
    const server = await start('two-factor');
    await expect(login(server, { tryKeyboard: true }, answeringTwoFactor('000000'))).rejects.toThrow(
      /authentication methods failed/,
    );
    await expect(login(server, { password: server.password })).rejects.toThrow(/authentication methods failed/);
  });

  it('shell: echoes input, reports pty size and resizes, exits on "exit"', async () => {
    const server = await start('two-factor');
    const client = await login(server, { tryKeyboard: true }, answeringTwoFactor(server.otp));
    const shell = await openShell(client, { rows: 30, cols: 100 });
    const output = outputOf(shell);
    const exitCode = new Promise((resolve) => shell.once('exit', resolve));

    await output.waitFor('$ ');
    shell.write('hello\r');
    await output.waitFor('hello\r\n$ ');
    shell.write('size\r');
    await output.waitFor('size\r\n30 100\r\n$ ');
    shell.setWindow(40, 120, 0, 0);
    shell.write('size\r');
    await output.waitFor('40 120\r\n');
    shell.write('exit\r');
    expect(await exitCode).toBe(0);
  });

  it('key-only: accepts the client key and runs exec with stdout, stderr and exit code 3', async () => {
    const server = await start('key-only');
    const client = await login(server, { privateKey: server.clientPrivateKey });
    expect(await execCommand(client, 'uname -a')).toEqual({ stdout: 'ran: uname -a\n', stderr: 'err\n', code: 3 });
  });

  it('key-only: rejects the password and any other key', async () => {
    const server = await start('key-only');
    const strangerKey = generateEd25519KeyPair().private;
    await expect(login(server, { password: server.password })).rejects.toThrow(/authentication methods failed/);
    await expect(login(server, { privateKey: strangerKey })).rejects.toThrow(/authentication methods failed/);
  });

  it('many-sessions: serves many concurrent password logins and counts open connections', { timeout: 30_000 }, async () => {
    const server = await start('many-sessions');
    const many = await Promise.all(Array.from({ length: 200 }, () => login(server, { password: server.password })));
    expect(server.connections()).toBe(200);
    const results = await Promise.all(many.map((client) => execCommand(client, 'true')));
    expect(results.every((result) => result.code === 3)).toBe(true);

    await Promise.all(many.map((client) => new Promise<void>((resolve) => client.once('close', () => resolve()).end())));
    await expect.poll(() => server.connections()).toBe(0);
  });

  it('many-sessions: rejects a wrong password', async () => {
    const server = await start('many-sessions');
    await expect(login(server, { password: 'wrong' })).rejects.toThrow(/authentication methods failed/);
  });

  it('slow-handshake: holds the connection until the client gives up', async () => {
    const server = await start('slow-handshake');
    const attempt = login(server, { password: server.password, readyTimeout: 300 });
    await expect.poll(() => server.connections()).toBe(1);
    await expect(attempt).rejects.toThrow(/Timed out while waiting for handshake/);
    await expect.poll(() => server.connections()).toBe(0);
  });

  it('drop-on-connect: closes the connection before any handshake', async () => {
    const server = await start('drop-on-connect');
    await expect(login(server, { password: server.password })).rejects.toThrow(/Connection lost before handshake|ECONNRESET/);
    expect(server.connections()).toBe(0);
  });

  it('stop closes open connections', async () => {
    const server = await startScriptedSshServer('many-sessions');
    const client = await login(server, { password: server.password });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await server.stop();
    await closed;
    expect(server.connections()).toBe(0);
    expect(await acceptsTcp(server.port)).toBe(false);
  });
});

describe('crash cleanup', () => {
  it('kills redis, sshd and services when the test process dies without stopping them', { timeout: 30_000 }, async () => {
    const harnessDir = await compileHarnessToTemp();
    const crashingSuite = join(harnessDir, 'crashing-suite.js');
    await writeFile(
      crashingSuite,
      `import { startRedis } from './redis-server.js';
       import { startSshd } from './sshd.js';
       import { spawnService } from './processes.js';
       const redis = await startRedis();
       const sshd = await startSshd();
       const service = spawnService('idle', ${JSON.stringify(join(harnessDir, 'idle.js'))}, {});
       console.log(JSON.stringify([redis.pid, sshd.pid, service.pid]));
       throw new Error('suite crashed');`,
    );
    await writeFile(join(harnessDir, 'idle.js'), 'setInterval(() => {}, 1000);');

    const suite = spawnProcess('crashing-suite', process.execPath, [crashingSuite]);
    const pids = JSON.parse(await suite.waitForLog(/^\[\d+,\d+,\d+\]$/, 20_000)) as number[];
    const exit = await suite.exited;
    await rm(dirname(harnessDir), { recursive: true, force: true });

    expect(exit.code).toBe(1);
    expect(suite.logs.join('\n')).toContain('suite crashed');
    await expect.poll(() => pids.filter(isAlive)).toEqual([]);
  });
});
