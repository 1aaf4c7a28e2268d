import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onProcessExit } from './exit-cleanup.js';
import { freePort } from './free-port.js';
import { inHost, LOOPBACK, type HostPlacement } from './network-hosts.js';
import { spawnProcess, waitUntilReady, type ServiceProcess } from './processes.js';

export interface RedisHandle {
  url: string;
  port: number;
  /** Changes on restart(). */
  pid: number;
  stop(): Promise<void>;
  /** Graceful stop (SIGTERM), then a fresh start on the same port; nothing persists, so it comes back empty. */
  restart(): Promise<void>;
}

const PORT_ATTEMPTS = 5;

export async function startRedis(opts: { password?: string; host?: HostPlacement } = {}): Promise<RedisHandle> {
  const host = opts.host ?? LOOPBACK;
  // Anything redis writes (say a dump after a test runs SAVE) lands here, not in the repo
  // or in another instance's directory.
  const dir = await mkdtemp(join(tmpdir(), 'fleet-redis-'));
  const unregisterDirCleanup = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  let server = await launchOnFreePort(host, dir, opts.password);
  const port = server.port;
  const auth = opts.password === undefined ? '' : `:${encodeURIComponent(opts.password)}@`;

  return {
    url: `redis://${auth}${host.address}:${port}`,
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
      server = await launch(host, port, dir, opts.password);
    },
  };
}

interface RunningRedis {
  port: number;
  redis: ServiceProcess;
}

async function launchOnFreePort(host: HostPlacement, dir: string, password: string | undefined): Promise<RunningRedis> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(host, await freePort(), dir, password);
    } catch (error) {
      // Another process may grab the port between freePort() and redis binding it.
      const portTaken = error instanceof Error && error.message.includes('Address already in use');
      if (!portTaken || attempt === PORT_ATTEMPTS) throw error;
    }
  }
}

async function launch(host: HostPlacement, port: number, dir: string, password: string | undefined): Promise<RunningRedis> {
  const args = ['--port', String(port), '--bind', host.address, '--save', '', '--appendonly', 'no', '--dir', dir];
  // Without a password Redis refuses clients from other addresses; a test
  // network's hosts are the test's own.
  if (host.netns && password === undefined) args.push('--protected-mode', 'no');
  if (password !== undefined) args.push('--requirepass', password);
  const redis = spawnProcess(`redis-server:${port}`, ...inHost(host, 'redis-server', args));
  try {
    await waitUntilReady(redis, 'answering PING', () => answersPing(host.address, port));
  } catch (error) {
    await redis.kill('SIGKILL');
    throw error;
  }
  return { port, redis };
}

/** A NOAUTH error is as good as PONG here: it proves the server is up and serving commands. */
function answersPing(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, address, () => socket.write('PING\r\n'));
    const settle = (answered: boolean): void => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(1_000, () => settle(false));
    socket.once('error', () => settle(false));
    socket.once('data', (reply) => settle(/^(\+PONG|-NOAUTH)/.test(reply.toString('latin1'))));
  });
}
