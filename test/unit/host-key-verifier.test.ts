/**
 * The verifier against a real ssh2 server holding two host keys (RSA and
 * ed25519): the key type the cluster trusts is the one asked for, and a key
 * of another type than the trusted one counts as changed.
 */
import { createServer, type Server } from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostKeyNotice } from '../../shared/protocol/outbound.js';
import { MemoryHostKeyStore } from '../../shared/host-key-store/memory-host-key-store.js';
import { HostKeyVerifier, type HostKeyVerdict } from '../../services/ssh-worker/host-key-verifier.js';
import { generateEd25519KeyPair } from '../harness/ed25519-key.js';

const rsa = ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 });
const ed25519 = generateEd25519KeyPair();
const base64Of = (publicKey: string) => publicKey.split(' ')[1]!;

/** An SSH server with both keys, or only the ed25519 one. */
async function sshServer(hostKeys: string[]): Promise<{ port: number; server: Server }> {
  const ssh = new ssh2.Server({ hostKeys }, (connection) => {
    connection.on('error', () => {});
    connection.on('authentication', (context) => context.reject());
  });
  const server = createServer((socket) => {
    socket.on('error', () => {});
    ssh.injectSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

let both: { port: number; server: Server };
let edOnly: { port: number; server: Server };
beforeAll(async () => {
  [both, edOnly] = await Promise.all([sshServer([ed25519.private, rsa.private]), sshServer([ed25519.private])]);
});
afterAll(() => {
  both?.server.close();
  edOnly?.server.close();
});

/** Connects with the verifier as ssh2's hostVerifier; resolves with the verdict and what the user was told. */
async function check(
  port: number,
  trustedType: 'ssh-rsa' | 'ssh-ed25519',
  names: { trustedAs?: string; typed?: string } = {},
): Promise<{ verdict: HostKeyVerdict; notices: HostKeyNotice[] }> {
  const store = new MemoryHostKeyStore();
  const trustedKey = trustedType === 'ssh-rsa' ? rsa.public : ed25519.public;
  await store.trust([{ host: names.trustedAs ?? '127.0.0.1', port, key: { type: trustedType, base64: base64Of(trustedKey) } }]);
  return connectWith(store, port, names.typed ?? '127.0.0.1');
}

async function connectWith(store: MemoryHostKeyStore, port: number, typed: string, ask: () => Promise<'accept' | 'reject'> = async () => 'reject') {
  const verifier = await HostKeyVerifier.forTarget(store, { host: typed, address: '127.0.0.1', port }, { unknownKeyAction: 'prompt', promptTimeoutMs: 1_000 });
  const notices: HostKeyNotice[] = [];
  const client = new ssh2.Client();
  client.on('error', () => {});
  try {
    const verdict = await new Promise<HostKeyVerdict>((resolve) => {
      const serverHostKey = verifier.serverHostKeyAlgorithms() as NonNullable<ssh2.ConnectConfig['algorithms']>['serverHostKey'];
      client.connect({
        host: '127.0.0.1',
        port,
        username: 'nobody',
        password: 'x',
        algorithms: { serverHostKey },
        hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
          void verifier.verify(key, { notify: (notice) => notices.push(notice), ask }).then((result) => {
            resolve(result);
            verify(false);
          });
        },
      });
    });
    return { verdict, notices };
  } finally {
    client.end();
  }
}

describe('host key verifier', () => {
  it('asks a server with several keys for the type the cluster trusts', async () => {
    for (const type of ['ssh-rsa', 'ssh-ed25519'] as const) {
      const { verdict, notices } = await check(both.port, type);
      expect(verdict).toEqual({ accepted: true });
      expect(notices).toMatchObject([{ event: 'hostkey:verified', payload: { algorithm: type, source: 'server' } }]);
    }
  });

  it('refuses a key of another type than the trusted one as changed', async () => {
    const { verdict, notices } = await check(edOnly.port, 'ssh-rsa');
    expect(verdict).toMatchObject({ accepted: false, reason: 'host-key-changed', message: expect.stringMatching(/has changed \(expected SHA256:.*, got SHA256:.*\)/) });
    expect(notices).toMatchObject([{ event: 'hostkey:mismatch', payload: { algorithm: 'ssh-ed25519' } }]);
  });

  // (A name's key reaches its addresses when the store is seeded: host-keys.test.ts.)
  it('applies a key trusted for the address a name resolves to, and for any spelling of the name or address', async () => {
    for (const { trustedAs, typed } of [
      { trustedAs: 'host.example', typed: 'HOST.example.' },
      { trustedAs: '127.0.0.1', typed: 'Host.Example.' },
      { trustedAs: '127.0.0.1', typed: '::ffff:7f00:1' },
    ]) {
      const { verdict, notices } = await check(edOnly.port, 'ssh-ed25519', { trustedAs, typed });
      expect(verdict, `${trustedAs} reached as ${typed}`).toEqual({ accepted: true });
      expect(notices).toMatchObject([{ event: 'hostkey:verified', payload: { source: 'server' } }]);
    }
  });

  it('reports a mismatch, never a prompt, when a name and its address trust different keys', async () => {
    const store = new MemoryHostKeyStore();
    await store.trust([
      { host: 'host.example', port: edOnly.port, key: { type: 'ssh-ed25519', base64: base64Of(ed25519.public) } },
      { host: '127.0.0.1', port: edOnly.port, key: { type: 'ssh-ed25519', base64: base64Of(generateEd25519KeyPair().public) } },
    ]);
    let asked = false;
    const { verdict, notices } = await connectWith(store, edOnly.port, 'host.example', async () => {
      asked = true;
      return 'accept';
    });
    expect(verdict).toMatchObject({ accepted: false, reason: 'host-key-changed' });
    expect(notices).toMatchObject([{ event: 'hostkey:mismatch' }]);
    expect(asked).toBe(false);
  });

  it('trusts a key the user accepted under the name and the address, so either finds it next time', async () => {
    const store = new MemoryHostKeyStore();
    expect((await connectWith(store, edOnly.port, 'Host.Example', async () => 'accept')).verdict).toEqual({ accepted: true });
    expect(await store.trustedKeys('host.example', edOnly.port)).toHaveLength(1);
    expect(await store.trustedKeys('127.0.0.1', edOnly.port)).toHaveLength(1);
  });
});
