import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onProcessExit } from './exit-cleanup.js';
import { freePort } from './free-port.js';
import { inHost, LOOPBACK, type HostPlacement } from './network-hosts.js';
import { killProcessTree } from './process-signals.js';
import { spawnProcess, waitUntilReady, type ServiceProcess } from './processes.js';
import { ensureTestUser, TEST_PASSWORD, TEST_USER } from './test-user.js';

export { TEST_PASSWORD } from './test-user.js';

export interface SshdHandle {
  host: string;
  port: number;
  pid: number;
  user: string;
  password: string;
  /** OpenSSH-format PEM, unencrypted, authorized for `user`. */
  privateKey: string;
  /** OpenSSH-format PEM (aes256-ctr/bcrypt), authorized for `user`, unlocked by `passphrase`. */
  encryptedPrivateKey: string;
  passphrase: string;
  /** `ssh-ed25519 AAAA...` line, for host key verification. */
  hostPublicKey: string;
  /** sshd's log lines so far (LogLevel VERBOSE), to check what a client got to do. */
  logs: string[];
  /** Also kills the per-connection sshd processes, so open sessions drop like on a host shutdown. */
  stop(): Promise<void>;
}

const KEY_PASSPHRASE = 'fleet-key-passphrase-1948';
const PORT_ATTEMPTS = 5;
const run = promisify(execFile);

export async function startSshd(opts: { host?: HostPlacement } = {}): Promise<SshdHandle> {
  const host = opts.host ?? LOOPBACK;
  const [dir] = await Promise.all([mkdtemp(join(tmpdir(), 'fleet-sshd-')), ensureTestUser()]);
  const unregisterDirCleanup = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  // sshd reads AuthorizedKeysFile as the target user, so the root-owned temp dir must be traversable.
  await chmod(dir, 0o755);
  const [hostKey, clientKey, encryptedClientKey] = await Promise.all([
    generateKey(join(dir, 'host_ed25519'), ''),
    generateKey(join(dir, 'client_ed25519'), ''),
    generateKey(join(dir, 'client_ed25519_encrypted'), KEY_PASSPHRASE),
  ]);
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, `${clientKey.publicKey}\n${encryptedClientKey.publicKey}\n`, { mode: 0o644 });
  // Privilege separation directory, normally created by the distro's service unit.
  await mkdir('/run/sshd', { recursive: true });

  const sshd = await launchOnFreePort(host, dir, hostKey.path, authorizedKeys);
  const unregisterKill = onProcessExit(() => killProcessTree(sshd.daemon.pid));

  return {
    host: host.address,
    port: sshd.port,
    pid: sshd.daemon.pid,
    user: TEST_USER,
    password: TEST_PASSWORD,
    privateKey: clientKey.privateKey,
    encryptedPrivateKey: encryptedClientKey.privateKey,
    passphrase: KEY_PASSPHRASE,
    hostPublicKey: hostKey.publicKey,
    logs: sshd.daemon.logs,
    async stop() {
      killProcessTree(sshd.daemon.pid);
      await sshd.daemon.exited;
      unregisterKill();
      await rm(dir, { recursive: true, force: true });
      unregisterDirCleanup();
    },
  };
}

interface KeyPair {
  path: string;
  privateKey: string;
  publicKey: string;
}

async function generateKey(path: string, passphrase: string): Promise<KeyPair> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'webssh-fleet-test', '-f', path]);
  const [privateKey, publicKey] = await Promise.all([readFile(path, 'utf8'), readFile(`${path}.pub`, 'utf8')]);
  return { path, privateKey, publicKey: publicKey.trim() };
}

interface RunningSshd {
  port: number;
  daemon: ServiceProcess;
}

async function launchOnFreePort(host: HostPlacement, dir: string, hostKeyPath: string, authorizedKeys: string): Promise<RunningSshd> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const configPath = join(dir, 'sshd_config');
    await writeFile(configPath, sshdConfig(host.address, port, dir, hostKeyPath, authorizedKeys));
    const sshd = spawnProcess(`sshd:${port}`, ...inHost(host, '/usr/sbin/sshd', ['-D', '-e', '-f', configPath]));
    try {
      await waitUntilReady(sshd, 'sending an SSH banner', () => sendsSshBanner(host.address, port));
      return { port, daemon: sshd };
    } catch (error) {
      await sshd.kill('SIGKILL');
      // Another process may grab the port between freePort() and sshd binding it.
      const portTaken = sshd.logs.some((line) => line.includes('Address already in use'));
      if (!portTaken || attempt === PORT_ATTEMPTS) throw error;
    }
  }
}

function sshdConfig(address: string, port: number, dir: string, hostKeyPath: string, authorizedKeys: string): string {
  return [
    `Port ${port}`,
    `ListenAddress ${address}`,
    `HostKey ${hostKeyPath}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${authorizedKeys}`,
    // authorized_keys sits below world-writable /tmp, which strict mode rejects.
    'StrictModes no',
    'PasswordAuthentication yes',
    // With UsePAM, keyboard-interactive is answered by PAM's "Password: " prompt.
    'KbdInteractiveAuthentication yes',
    'UsePAM yes',
    'PubkeyAuthentication yes',
    'PermitRootLogin no',
    // Load tests open many connections at once; the default 10:30:100 would drop them.
    'MaxStartups 1000:30:1000',
    'MaxSessions 100',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

function sendsSshBanner(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, address);
    const settle = (ready: boolean): void => {
      socket.destroy();
      resolve(ready);
    };
    socket.setTimeout(1_000, () => settle(false));
    socket.once('error', () => settle(false));
    socket.once('data', (banner) => settle(banner.toString('latin1').startsWith('SSH-2.0-')));
  });
}
