/**
 * SSH host key verification end to end: real OpenSSH sshds (each with its
 * own host key), a scripted ssh2 server, real gateway and worker processes
 * around a real redis-server. The trust store is seeded from a known_hosts
 * file, or filled by users accepting a prompt; each unknown-key action gets a
 * fleet of its own.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostKeyVerifyRequest } from '../../shared/protocol/events.js';
import { generateEd25519KeyPair } from '../harness/ed25519-key.js';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startScriptedSshServer, type ScriptedServerHandle } from '../harness/scripted-ssh-server.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

/**
 * Short, so that the unanswered prompt below costs little time, yet well
 * beyond ACCEPT_AFTER_MS: the answer crosses the gateway, Redis and the
 * worker, which on a loaded machine took more than the 300 ms there was.
 */
const PROMPT_TIMEOUT_MS = 5_000;
/** Shorter than the time the user takes to accept below: waiting for a person must not count against it. */
const READY_TIMEOUT_MS = 2_000;
const ACCEPT_AFTER_MS = 2_200;

/** A public key line's base64 key and its fingerprint, computed here as OpenSSH defines it. */
function keyOf(publicKeyLine: string): { type: string; base64: string; fingerprint: string } {
  const [type, base64] = publicKeyLine.trim().split(/\s+/);
  const digest = createHash('sha256').update(Buffer.from(base64!, 'base64')).digest('base64');
  return { type: type!, base64: base64!, fingerprint: `SHA256:${digest.replace(/=+$/, '')}` };
}

let dir: string;
/** Seeded with its real key. */
let trusted: SshdHandle;
/** Seeded with another key: it looks like a man in the middle. */
let impostor: SshdHandle;
/** Known to no trust store. */
let unknownSshd: SshdHandle;
let scripted: ScriptedServerHandle;
const wrongKey = keyOf(generateEd25519KeyPair().public);
let rejecting: Fleet;
let alerting: Fleet;
let prompting: Fleet;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-host-keys-'));
  [trusted, impostor, unknownSshd, scripted] = await Promise.all([startSshd(), startSshd(), startSshd(), startScriptedSshServer('two-factor')]);
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(
    knownHosts,
    [
      `[${trusted.host}]:${trusted.port} ${trusted.hostPublicKey}`,
      `[${impostor.host}]:${impostor.port},[impostor.example]:22 ${wrongKey.type} ${wrongKey.base64}`,
      // Written by HashKnownHosts: skipped, with a log line.
      `|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= ${wrongKey.type} ${wrongKey.base64}`,
      '',
    ].join('\n'),
  );
  const verification = { WEBSSH2_SSH_HOSTKEY_ENABLED: 'true' };
  [rejecting, alerting, prompting] = await Promise.all([
    startFleet('cluster', { env: { ...verification, WEBSSH2_SSH_HOSTKEY_UNKNOWN_ACTION: 'reject', FLEET_SSH_KNOWN_HOSTS: knownHosts } }),
    startFleet('all-in-one', { env: { ...verification, WEBSSH2_SSH_HOSTKEY_UNKNOWN_ACTION: 'alert' } }),
    startFleet('cluster', {
      env: {
        ...verification,
        WEBSSH2_SSH_HOSTKEY_UNKNOWN_ACTION: 'prompt',
        WEBSSH2_SSH_PROMPT_TIMEOUT: String(PROMPT_TIMEOUT_MS),
        WEBSSH2_SSH_READY_TIMEOUT: String(READY_TIMEOUT_MS),
      },
    }),
  ]);
});
afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all([rejecting?.stop(), alerting?.stop(), prompting?.stop()]);
  await Promise.all([trusted?.stop(), impostor?.stop(), unknownSshd?.stop(), scripted?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function connect(url: string): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(url);
  clients.push(client);
  return client;
}
const loginTo = (sshd: SshdHandle) => ({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });

describe('host keys seeded from known_hosts, unknown keys rejected (cluster)', () => {
  it('logs in to a host whose key is in the file, and says so with hostkey:verified', async () => {
    const client = await connect(rejecting.urls[0]!);
    expect(await client.login(loginTo(trusted))).toEqual({ success: true });
    const key = keyOf(trusted.hostPublicKey);
    expect(client.eventsNamed('hostkey:verified')).toEqual([
      { host: trusted.host, port: trusted.port, algorithm: 'ssh-ed25519', fingerprint: key.fingerprint, source: 'server' },
    ]);
    expect(client.eventsNamed('hostkey:verify')).toEqual([]);
  });

  it('refuses a changed key with a clear message before sending any credential', async () => {
    const client = await connect(rejecting.urls[1]!);
    const presented = keyOf(impostor.hostPublicKey).fingerprint;
    const outcome = await client.login(loginTo(impostor));
    expect(outcome).toEqual({
      success: false,
      message: `Host key for ${impostor.host}:${impostor.port} has changed (expected ${wrongKey.fingerprint}, got ${presented}): refusing to connect`,
    });
    expect(client.eventsNamed('hostkey:mismatch')).toEqual([
      {
        host: impostor.host,
        port: impostor.port,
        algorithm: 'ssh-ed25519',
        fingerprint: presented,
        presentedFingerprint: presented,
        storedFingerprint: wrongKey.fingerprint,
        source: 'server',
      },
    ]);
    // sshd saw the client hang up during key exchange (reason 3: key exchange
    // failed), and never an authentication attempt.
    await expect.poll(() => impostor.logs.some((line) => /Received disconnect from .*:3: .*\[preauth\]/.test(line))).toBe(true);
    expect(impostor.logs.filter((line) => /Accepted|Failed|Postponed|authentication/i.test(line))).toEqual([]);
  });

  it('refuses an unknown key (unknownKeyAction reject), with hostkey:rejected', async () => {
    const client = await connect(rejecting.urls[0]!);
    const outcome = await client.login({ username: scripted.user, password: scripted.password, host: scripted.host, port: scripted.port });
    expect(outcome.success).toBe(false);
    expect((outcome as { message: string }).message).toMatch(
      new RegExp(`^Host key for ${scripted.host}:${scripted.port} is unknown \\(SHA256:[A-Za-z0-9+/]{43}\\): refusing to connect$`),
    );
    const [rejected] = client.eventsNamed('hostkey:rejected') as Array<Record<string, unknown>>;
    expect(rejected).toMatchObject({ host: scripted.host, port: scripted.port, algorithm: 'ssh-ed25519', reason: expect.stringMatching(/not among the trusted keys/) });
  });

  it('reports the setting on GET /ssh/config and logs the known_hosts lines it skipped', async () => {
    const config = (await (await fetch(`${rejecting.urls[1]}/ssh/config`)).json()) as { hostKeyVerification: unknown };
    expect(config.hostKeyVerification).toEqual({ enabled: true, clientStoreEnabled: false, unknownKeyAction: 'reject' });
    expect(rejecting.allLogs().some((line) => line.includes('known_hosts lines skipped') && line.includes('hashed host names'))).toBe(true);
    expect(rejecting.allLogs().some((line) => line.includes('"event":"host-keys-seeded"') && line.includes('"keys":3'))).toBe(true);
  });
});

describe('unknown keys let through with an alert (all-in-one)', () => {
  it('logs in and sends hostkey:alert with the fingerprint', async () => {
    const client = await connect(alerting.urls[0]!);
    await client.openShell(loginTo(trusted));
    expect(client.eventsNamed('hostkey:alert')).toEqual([
      { host: trusted.host, port: trusted.port, algorithm: 'ssh-ed25519', fingerprint: keyOf(trusted.hostPublicKey).fingerprint },
    ]);
    client.type('echo "al""ert"\r');
    await client.waitForOutput('alert');
  });
});

describe('unknown keys prompted for, trusted on first use (cluster)', () => {
  it('asks with the key and its fingerprint, and logs in once accepted, however long the user took', async () => {
    const client = await connect(prompting.urls[0]!);
    const key = keyOf(trusted.hostPublicKey);
    const asked: HostKeyVerifyRequest[] = [];
    client.socket.on('hostkey:verify', (request) => {
      asked.push(request);
      setTimeout(() => client.socket.emit('hostkey:verify-response', { action: 'accept' }), ACCEPT_AFTER_MS);
    });
    expect(await client.login(loginTo(trusted))).toEqual({ success: true });
    expect(asked).toEqual([{ host: trusted.host, port: trusted.port, algorithm: 'ssh-ed25519', fingerprint: key.fingerprint, key: key.base64 }]);
    expect(client.eventsNamed('hostkey:verified')).toEqual([
      { host: trusted.host, port: trusted.port, algorithm: 'ssh-ed25519', fingerprint: key.fingerprint, source: 'client' },
    ]);
  });

  it('does not ask again, through another gateway: the key is trusted cluster-wide', async () => {
    const client = await connect(prompting.urls[1]!);
    expect(await client.login(loginTo(trusted))).toEqual({ success: true });
    expect(client.eventsNamed('hostkey:verify')).toEqual([]);
    expect(client.eventsNamed('hostkey:verified')).toMatchObject([{ source: 'server', fingerprint: keyOf(trusted.hostPublicKey).fingerprint }]);
  });

  it('refuses the key the user rejects, and keeps asking about it', async () => {
    const fingerprint = keyOf(unknownSshd.hostPublicKey).fingerprint;
    for (const url of prompting.urls) {
      const client = await connect(url);
      client.socket.on('hostkey:verify', () => client.socket.emit('hostkey:verify-response', { action: 'reject' }));
      expect(await client.login(loginTo(unknownSshd))).toEqual({
        success: false,
        message: `Host key for ${unknownSshd.host}:${unknownSshd.port} (${fingerprint}) was not accepted: refusing to connect`,
      });
      expect(client.eventsNamed('hostkey:verify')).toHaveLength(1);
    }
  });

  it('refuses when nobody answers within the prompt timeout (a client without hostkey:* support)', async () => {
    const client = await connect(prompting.urls[0]!);
    const started = Date.now();
    const outcome = await client.login({ username: scripted.user, password: scripted.password, host: scripted.host, port: scripted.port });
    expect(outcome).toEqual({
      success: false,
      message: `No answer to the host key prompt for ${scripted.host}:${scripted.port} within ${PROMPT_TIMEOUT_MS / 1000} s: refusing to connect`,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(PROMPT_TIMEOUT_MS - 100);
  });

  it('tells a client that answers when nothing was asked', async () => {
    const client = await connect(prompting.urls[1]!);
    await client.waitForEvent('authentication');
    client.socket.emit('hostkey:verify-response', { action: 'accept' });
    await client.waitForEvent('ssherror', (m) => m === 'No host key verification is waiting for an answer');
  });
});
