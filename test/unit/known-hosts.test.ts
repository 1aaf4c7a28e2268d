/**
 * The known_hosts reader and host key fingerprints, against keys made by
 * OpenSSH's own ssh-keygen (fingerprints compared with what it prints).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOf, hostKeyOf } from '../../shared/host-key-store/host-key.js';
import { parseKnownHosts } from '../../shared/host-key-store/known-hosts.js';

const run = promisify(execFile);

interface GeneratedKey {
  type: string;
  base64: string;
  /** What `ssh-keygen -l` prints as the fingerprint. */
  fingerprint: string;
}

let dir: string;
let ed25519: GeneratedKey;
let rsa: GeneratedKey;

async function generate(type: 'ed25519' | 'rsa'): Promise<GeneratedKey> {
  const path = join(dir, type);
  await run('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', 'unit', '-f', path]);
  const [keyType, base64] = (await readFile(`${path}.pub`, 'utf8')).trim().split(' ');
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`]);
  return { type: keyType!, base64: base64!, fingerprint: stdout.split(' ')[1]! };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-known-hosts-'));
  [ed25519, rsa] = await Promise.all([generate('ed25519'), generate('rsa')]);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('host keys', () => {
  it('fingerprints a key as ssh-keygen -l does', () => {
    for (const key of [ed25519, rsa]) expect(fingerprintOf(key)).toBe(key.fingerprint);
  });

  it('reads the key type from the key blob itself', () => {
    expect(hostKeyOf(Buffer.from(rsa.base64, 'base64'))).toEqual({ type: 'ssh-rsa', base64: rsa.base64 });
    expect(hostKeyOf(Buffer.from('not a key'))).toBeUndefined();
    expect(hostKeyOf(Buffer.alloc(2))).toBeUndefined();
  });
});

describe('known_hosts', () => {
  it('reads plain hosts (port 22), [host]:port and comma-separated host lists', () => {
    const { entries, skipped } = parseKnownHosts(
      [
        '# a comment, then a blank line',
        '',
        `bastion.example.com ${ed25519.type} ${ed25519.base64} admin@laptop`,
        `[10.0.0.5]:2222,Web.Example.com,[::1]:22 ${rsa.type} ${rsa.base64}`,
        `  192.0.2.7\t${ed25519.type}   ${ed25519.base64}  `,
      ].join('\n'),
    );
    expect(skipped).toEqual([]);
    const ed = { type: 'ssh-ed25519', base64: ed25519.base64 };
    const rs = { type: 'ssh-rsa', base64: rsa.base64 };
    expect(entries).toEqual([
      { host: 'bastion.example.com', port: 22, key: ed },
      { host: '10.0.0.5', port: 2222, key: rs },
      { host: 'web.example.com', port: 22, key: rs },
      { host: '::1', port: 22, key: rs },
      { host: '192.0.2.7', port: 22, key: ed },
    ]);
  });

  it('skips, with the line and a reason, what it cannot turn into a trusted key', () => {
    const text = [
      `|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= ${ed25519.type} ${ed25519.base64}`,
      `*.example.com ${ed25519.type} ${ed25519.base64}`,
      `@cert-authority *.example.com ${ed25519.type} ${ed25519.base64}`,
      `@revoked old.example.com ${ed25519.type} ${ed25519.base64}`,
      `host.example.com sk-ssh-ed25519@openssh.com ${ed25519.base64}`,
      `host.example.com ssh-rsa ${ed25519.base64}`,
      'host.example.com ssh-ed25519 !!!not-base64!!!',
      'host.example.com ssh-ed25519',
      `[host.example.com]:99999 ${ed25519.type} ${ed25519.base64}`,
      `ok.example.com,|1|salt|hash ${ed25519.type} ${ed25519.base64}`,
    ].join('\r\n');
    const { entries, skipped } = parseKnownHosts(text);
    expect(entries).toEqual([{ host: 'ok.example.com', port: 22, key: { type: 'ssh-ed25519', base64: ed25519.base64 } }]);
    expect(skipped.map((s) => s.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(skipped[0]!.reason).toMatch(/hashed host names/);
    expect(skipped[1]!.reason).toMatch(/pattern/);
    expect(skipped[2]!.reason).toMatch(/@cert-authority/);
    expect(skipped[4]!.reason).toMatch(/key type sk-ssh-ed25519@openssh.com is not supported/);
    expect(skipped[5]!.reason).toMatch(/not a valid ssh-rsa key/);
    expect(skipped[8]!.reason).toMatch(/invalid port/);
    expect(skipped[9]!.reason).toMatch(/hashed host names/);
  });
});
