/**
 * Runs webssh-fleet for tests and the benchmark as real OS processes from the
 * built `dist/`: either the all-in-one process, or a cluster of gateways and
 * workers around a redis-server of its own. Every process can be signalled
 * or killed, and a killed gateway can be replaced on its port. The cluster's
 * Redis is one redis-server, or on request a Sentinel set or a Redis Cluster.
 *
 * Readiness is probed, not read from logs, so a fleet can run at any
 * LOG_LEVEL: every process is ready when it answers /readyz (a worker on its
 * metrics port, which it opens once its inbox exists).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { spawnService, waitUntilReady, type ServiceProcess } from './processes.js';
import { startRedis, type RedisHandle, type RedisOptions } from './redis-server.js';
import { startRedisCluster, startRedisSentinel, type RedisTopologyHandle } from './redis-topologies.js';

export type FleetMode = 'all-in-one' | 'cluster';

export interface FleetOptions {
  gateways?: number;
  workers?: number;
  /** Extra environment for every process (e.g. WEBSSH2_SSH_ALLOWED_SUBNETS). */
  env?: Record<string, string>;
  /** Extra environment for the workers only (cluster mode), over `env`. */
  workerEnv?: Record<string, string>;
  /** Extra environment for the gateways only (cluster mode), over `env`. */
  gatewayEnv?: Record<string, string>;
  /** How the cluster's own redis-server is set up: AUTH, TLS. */
  redis?: Pick<RedisOptions, 'password' | 'tls'>;
  /** Node options for every fleet process, before the entry point (the bench's --cpu-prof). */
  nodeArgs?: readonly string[];
  /** Run on a Redis watched by Sentinel, or on a Redis Cluster, instead of one redis-server (`redis` sets its AUTH and TLS). */
  redisTopology?: 'sentinel' | 'cluster';
}

export interface Fleet {
  mode: FleetMode;
  /** One base URL per gateway (the all-in-one process counts as one). */
  urls: string[];
  /** The process currently serving each of `urls` (respawnGateway replaces one). */
  gateways: ServiceProcess[];
  workers: ServiceProcess[];
  /** Each worker's health and metrics base URL. */
  workerUrls: string[];
  /** Each gateway's (or the all-in-one process's) metrics base URL, beside `urls`. */
  metricsUrls: string[];
  /** The cluster's one redis-server (unless it runs on a Redis topology). */
  redis: RedisHandle | undefined;
  /** The Sentinel or Redis Cluster the fleet runs on, when asked for one. */
  redisTopology: RedisTopologyHandle | undefined;
  /** The Redis key prefix (cluster mode). */
  prefix: string;
  /**
   * Starts a new gateway on the port of `urls[index]` once the one there has
   * exited (kill it first); it gets a fresh instance id, as a replaced pod would.
   */
  respawnGateway: (index: number) => Promise<ServiceProcess>;
  /** Every log line of every process, for assertions about logging. */
  allLogs: () => string[];
  /** Kills every process it ever started, respawned ones included. */
  stop: () => Promise<void>;
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
  const baseEnv = {
    LOG_LEVEL: 'info',
    WEBSSH2_LISTEN_IP: '127.0.0.1',
    // Scripted test clients do not answer host-key prompts: an unknown key is
    // reported instead (a changed one is still refused). The host-key suites
    // set their own action.
    WEBSSH2_SSH_HOSTKEY_UNKNOWN_ACTION: 'alert',
    ...options.env,
  };
  const started: ServiceProcess[] = [];
  let redis: RedisHandle | undefined;
  let redisTopology: RedisTopologyHandle | undefined;
  const stop = async () => {
    await Promise.all(started.map((p) => p.kill('SIGKILL')));
    await redis?.stop();
    await redisTopology?.stop();
  };
  try {
    if (mode === 'all-in-one') {
      const [port, metricsPort] = await Promise.all([freePort(), freePort()]);
      const url = `http://127.0.0.1:${port}`;
      const server = spawnService('all-in-one', ENTRY.allInOne, { ...baseEnv, WEBSSH2_LISTEN_PORT: String(port), FLEET_METRICS_PORT: String(metricsPort) }, options.nodeArgs);
      started.push(server);
      await waitUntilReady(server, 'answering /readyz', () => answersReady(url), STARTUP_TIMEOUT_MS);
      const respawn = () => Promise.reject(new Error('the all-in-one process has no gateway to respawn'));
      const metricsUrls = [`http://127.0.0.1:${metricsPort}`];
      return assemble({ mode, urls: [url], gateways: [server], workers: [], workerUrls: [], metricsUrls, redis, redisTopology, prefix: '', respawnGateway: respawn, started, stop });
    }

    let redisEnv: Record<string, string>;
    if (options.redisTopology) {
      redisTopology = await (options.redisTopology === 'sentinel' ? startRedisSentinel(options.redis) : startRedisCluster(options.redis));
      redisEnv = redisTopology.env;
    } else {
      redis = await startRedis(options.redis);
      // Node's own way to trust a private CA: no TLS option of ours is needed.
      redisEnv = { REDIS_URL: redis.url, ...(redis.caFile && { NODE_EXTRA_CA_CERTS: redis.caFile }) };
    }
    const clusterEnv: Record<string, string> = {
      ...baseEnv,
      ...redisEnv,
      WEBSSH2_SESSION_SECRET: randomBytes(32).toString('base64url'),
      FLEET_REDIS_KEY_PREFIX: `t${randomBytes(4).toString('hex')}`,
      ...options.env,
    };
    const prefix = clusterEnv.FLEET_REDIS_KEY_PREFIX!;
    const workerPorts = await Promise.all(Array.from({ length: options.workers ?? 2 }, () => freePort()));
    const workerUrls = workerPorts.map((port) => `http://127.0.0.1:${port}`);
    const workers = workerPorts.map((port, i) =>
      spawnService(`worker-${i}`, ENTRY.worker, { ...clusterEnv, ...options.workerEnv, FLEET_INSTANCE_ID: `worker-${i}`, FLEET_METRICS_PORT: String(port) }, options.nodeArgs),
    );
    started.push(...workers);
    const ports = await Promise.all(Array.from({ length: options.gateways ?? 2 }, () => freePort()));
    const urls = ports.map((port) => `http://127.0.0.1:${port}`);
    const metricsPorts = await Promise.all(ports.map(() => freePort()));
    const metricsUrls = metricsPorts.map((port) => `http://127.0.0.1:${port}`);
    const generations = ports.map(() => 0);
    const startGateway = async (index: number): Promise<ServiceProcess> => {
      const generation = generations[index]!++;
      const id = generation === 0 ? `gateway-${index}` : `gateway-${index}-r${generation}`;
      const gateway = spawnService(id, ENTRY.gateway, {
        ...clusterEnv,
        ...options.gatewayEnv,
        FLEET_INSTANCE_ID: id,
        WEBSSH2_LISTEN_PORT: String(ports[index]),
        FLEET_METRICS_PORT: String(metricsPorts[index]),
      }, options.nodeArgs);
      started.push(gateway);
      await waitUntilReady(gateway, 'answering /readyz', () => answersReady(urls[index]!), STARTUP_TIMEOUT_MS);
      return gateway;
    };
    const [gateways] = await Promise.all([
      Promise.all(ports.map((_, index) => startGateway(index))),
      ...workers.map((worker, i) => waitUntilReady(worker, 'answering /readyz', () => answersReady(workerUrls[i]!), STARTUP_TIMEOUT_MS)),
    ]);
    const respawnGateway = async (index: number) => {
      await gateways[index]!.exited;
      const gateway = await startGateway(index);
      gateways[index] = gateway;
      return gateway;
    };
    return assemble({ mode, urls, gateways, workers, workerUrls, metricsUrls, redis, redisTopology, prefix, respawnGateway, started, stop });
  } catch (error) {
    await stop();
    throw error;
  }
}

function assemble(parts: Omit<Fleet, 'allLogs'> & { started: ServiceProcess[] }): Fleet {
  const { started, ...fleet } = parts;
  return { ...fleet, allLogs: () => started.flatMap((p) => p.logs) };
}

/** Whether a process serving `url` answers /readyz with 200. */
export async function answersReady(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/readyz`)).status === 200;
  } catch {
    return false;
  }
}
