/**
 * Runs webssh-fleet for a test as real OS processes from the built `dist/`:
 * either the all-in-one process, or a cluster of gateways and workers around
 * a redis-server of its own. Every process can be signalled or killed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { spawnService, type ServiceProcess } from './processes.js';
import { startRedis, type RedisHandle } from './redis-server.js';

export type FleetMode = 'all-in-one' | 'cluster';

export interface FleetOptions {
  gateways?: number;
  workers?: number;
  /** Extra environment for every process (e.g. WEBSSH2_SSH_ALLOWED_SUBNETS). */
  env?: Record<string, string>;
}

export interface Fleet {
  mode: FleetMode;
  /** One base URL per gateway (the all-in-one process counts as one). */
  urls: string[];
  gateways: ServiceProcess[];
  workers: ServiceProcess[];
  redis: RedisHandle | undefined;
  /** The Redis key prefix (cluster mode). */
  prefix: string;
  /** Every log line of every process, for assertions about logging. */
  allLogs(): string[];
  stop(): Promise<void>;
}

/** The checkout's root, whether this file runs from test/ (vitest) or dist/test/ (bench). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the harness');
    dir = parent;
  }
  return dir;
}

const SERVICES = join(repoRoot(), 'dist', 'services');
export const ENTRY = {
  allInOne: join(SERVICES, 'all-in-one', 'main.js'),
  gateway: join(SERVICES, 'gateway', 'main.js'),
  worker: join(SERVICES, 'ssh-worker', 'main.js'),
};

const STARTUP_TIMEOUT_MS = 20_000;

export async function startFleet(mode: FleetMode, options: FleetOptions = {}): Promise<Fleet> {
  const baseEnv = { LOG_LEVEL: 'info', WEBSSH2_LISTEN_IP: '127.0.0.1', ...options.env };
  if (mode === 'all-in-one') {
    const port = await freePort();
    const process = spawnService('all-in-one', ENTRY.allInOne, { ...baseEnv, WEBSSH2_LISTEN_PORT: String(port) });
    await process.waitForLog(/"event":"listening"/, STARTUP_TIMEOUT_MS);
    return assemble(mode, [process], [], undefined, '', [`http://127.0.0.1:${port}`]);
  }

  const redis = await startRedis();
  const clusterEnv: Record<string, string> = {
    ...baseEnv,
    REDIS_URL: redis.url,
    WEBSSH2_SESSION_SECRET: randomBytes(32).toString('base64url'),
    FLEET_REDIS_KEY_PREFIX: `t${randomBytes(4).toString('hex')}`,
    ...options.env,
  };
  const workers = Array.from({ length: options.workers ?? 2 }, (_, i) =>
    spawnService(`worker-${i}`, ENTRY.worker, { ...clusterEnv, FLEET_INSTANCE_ID: `worker-${i}` }),
  );
  const ports = await Promise.all(Array.from({ length: options.gateways ?? 2 }, () => freePort()));
  const gateways = ports.map((port, i) =>
    spawnService(`gateway-${i}`, ENTRY.gateway, { ...clusterEnv, WEBSSH2_LISTEN_PORT: String(port), FLEET_INSTANCE_ID: `gateway-${i}` }),
  );
  await Promise.all([
    ...workers.map((w) => w.waitForLog(/"event":"ready"/, STARTUP_TIMEOUT_MS)),
    ...gateways.map((g) => g.waitForLog(/"event":"listening"/, STARTUP_TIMEOUT_MS)),
  ]);
  return assemble(mode, gateways, workers, redis, clusterEnv.FLEET_REDIS_KEY_PREFIX!, ports.map((port) => `http://127.0.0.1:${port}`));
}

function assemble(
  mode: FleetMode,
  gateways: ServiceProcess[],
  workers: ServiceProcess[],
  redis: RedisHandle | undefined,
  prefix: string,
  urls: string[],
): Fleet {
  return {
    mode,
    urls,
    gateways,
    workers,
    redis,
    prefix,
    allLogs: () => [...gateways, ...workers].flatMap((p) => p.logs),
    async stop() {
      await Promise.all([...gateways, ...workers].map((p) => p.kill('SIGKILL')));
      await redis?.stop();
    },
  };
}
