import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onProcessExit } from './exit-cleanup.js';
import { freePort } from './free-port.js';
import { inHost, LOOPBACK, type HostPlacement } from './network-hosts.js';
import { spawnProcess, waitUntilReady, type ServiceProcess } from './processes.js';

export interface RedisHandle {
  /** `redis://`, or `rediss://` with TLS; with the password when there is one. */
  url: string;
  /** With TLS: the CA that signed the server's certificate (for NODE_EXTRA_CA_CERTS). */
  caFile?: string;
  port: number;
  /** Changes on restart(). */
  pid: number;
  stop(): Promise<void>;
  /** Graceful stop (SIGTERM), then a fresh start on the same port; nothing persists, so it comes back empty. */
  restart(): Promise<void>;
}

const PORT_ATTEMPTS = 5;

export interface RedisOptions {
  password?: string;
  /** Serve TLS only, with a certificate from a CA made for this server. */
  tls?: boolean;
  host?: HostPlacement;
}

export async function startRedis(opts: RedisOptions = {}): Promise<RedisHandle> {
  const host = opts.host ?? LOOPBACK;
  // Anything redis writes (say a dump after a test runs SAVE) lands here, not in the repo
  // or in another instance's directory.
  const dir = await mkdtemp(join(tmpdir(), 'fleet-redis-'));
  const unregisterDirCleanup = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  const tls = opts.tls ? await makeCertificates(dir, host.address) : undefined;
  let server = await launchOnFreePort(host, dir, opts.password, tls);
  const port = server.port;
  const auth = opts.password === undefined ? '' : `:${encodeURIComponent(opts.password)}@`;

  return {
    url: `${tls ? 'rediss' : 'redis'}://${auth}${host.address}:${port}`,
    ...(tls && { caFile: tls.caFile }),
    port,
    get pid() {
      return server.redis.pid;
    },
    async stop() {
      await server.redis.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
      unregisterDirCleanup();
    },
    async restart() {
      await server.redis.kill('SIGTERM');
      server = await launch(host, port, dir, opts.password, tls);
    },
  };
}

interface RunningRedis {
  port: number;
  redis: ServiceProcess;
}

export interface Certificates {
  caFile: string;
  certFile: string;
  keyFile: string;
}

const run = promisify(execFile);

/** A throwaway CA and a server certificate for `address`, made with openssl. */
export async function makeCertificates(dir: string, address: string): Promise<Certificates> {
  const file = (name: string) => join(dir, name);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=fleet-test-ca']);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', `/CN=${address}`]);
  await writeFile(file('san.cnf'), `subjectAltName=IP:${address}\n`);
  await run('openssl', ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.crt'), '-days', '2', '-extfile', file('san.cnf')]);
  return { caFile: file('ca.crt'), certFile: file('server.crt'), keyFile: file('server.key') };
}

async function launchOnFreePort(host: HostPlacement, dir: string, password: string | undefined, tls: Certificates | undefined): Promise<RunningRedis> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(host, await freePort(), dir, password, tls);
    } catch (error) {
      // Another process may grab the port between freePort() and redis binding it.
      const portTaken = error instanceof Error && error.message.includes('Address already in use');
      if (!portTaken || attempt === PORT_ATTEMPTS) throw error;
    }
  }
}

async function launch(host: HostPlacement, port: number, dir: string, password: string | undefined, tls: Certificates | undefined): Promise<RunningRedis> {
  const listen = tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'no']
    : ['--port', String(port)];
  const args = [...listen, '--bind', host.address, '--save', '', '--appendonly', 'no', '--dir', dir];
  // Without a password Redis refuses clients from other addresses; a test
  // network's hosts are the test's own.
  if (host.netns && password === undefined) args.push('--protected-mode', 'no');
  if (password !== undefined) args.push('--requirepass', password);
  const redis = spawnProcess(`redis-server:${port}`, ...inHost(host, 'redis-server', args));
  try {
    const ca = tls && (await readFile(tls.caFile));
    await waitUntilReady(redis, 'answering PING', () => answersPing(host.address, port, ca));
  } catch (error) {
    await redis.kill('SIGKILL');
    throw error;
  }
  return { port, redis };
}

/** A NOAUTH error is as good as PONG here: it proves the server is up and serving commands. */
function answersPing(address: string, port: number, ca: Buffer | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = ca
      ? connectTls({ port, host: address, ca }, () => socket.write('PING\r\n'))
      : connect(port, address, () => socket.write('PING\r\n'));
    const settle = (answered: boolean): void => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(1_000, () => settle(false));
    socket.once('error', () => settle(false));
    socket.once('data', (reply: Buffer) => settle(/^(\+PONG|-NOAUTH)/.test(reply.toString('latin1'))));
  });
}
