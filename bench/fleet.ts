/**
 * Starts webssh-fleet from the built dist/ for the bench: a cluster of one
 * worker and one gateway (or a pool of gateways, for the resume scenario,
 * which kills them and respawns each on its same port) around a
 * redis-server of its own, or the all-in-one process. It builds on the test
 * harness (spawnService, startRedis) but not on its startFleet: that waits
 * for the info-level "listening"/"ready" log lines, and the bench runs the
 * fleet at LOG_LEVEL=warn so logging is not part of what it measures.
 * Readiness is probed instead: the gateway's /readyz and the worker's inbox
 * stream.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ENTRY } from '../test/harness/fleet.js';
import { freePort } from '../test/harness/free-port.js';
import { spawnService, waitUntilReady, type ServiceProcess } from '../test/harness/processes.js';
import { startRedis, type RedisHandle } from '../test/harness/redis-server.js';
import type { Pids } from './process-usage.js';

export interface BenchFleet {
  url: string;
  /** The fleet's processes by role, for CPU and memory readings. */
  pids: Pids;
  stop(): Promise<void>;
}

export interface BenchCluster extends BenchFleet {
  /** One base URL per gateway, in start order; `url` is the first. */
  urls: string[];
  /** The process currently serving each of `urls` (respawnGateway replaces it). */
  gateways: ServiceProcess[];
  /**
   * Starts a new gateway on the port of `urls[index]` once the one there has
   * exited (kill it first), and resolves when it answers /readyz. The new
   * process gets a fresh instance id, as a replaced pod would.
   */
  respawnGateway(index: number): Promise<ServiceProcess>;
}

const STARTUP_TIMEOUT_MS = 20_000;

/** `pids` names the first gateway `gateway` (the only one unless `gateways` > 1), as it was at start. */
export async function startCluster(env: Record<string, string>, options: { gateways?: number } = {}): Promise<BenchCluster> {
  const redis = await startRedis();
  // Every process ever started, respawned gateways included: stop() kills them all.
  const processes: ServiceProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.kill('SIGKILL')));
    await redis.stop();
  };
  try {
    const prefix = `bench${randomBytes(4).toString('hex')}`;
    const clusterEnv = {
      ...env,
      REDIS_URL: redis.url,
      WEBSSH2_SESSION_SECRET: randomBytes(32).toString('base64url'),
      FLEET_REDIS_KEY_PREFIX: prefix,
    };
    const worker = spawnService('worker-0', ENTRY.worker, { ...clusterEnv, FLEET_INSTANCE_ID: 'worker-0' });
    processes.push(worker);
    const ports = await Promise.all(Array.from({ length: options.gateways ?? 1 }, () => freePort()));
    const urls = ports.map((port) => `http://127.0.0.1:${port}`);
    const generations = ports.map(() => 0);
    const startGateway = (index: number): ServiceProcess => {
      const generation = generations[index]!++;
      const id = generation === 0 ? `gateway-${index}` : `gateway-${index}-r${generation}`;
      const gateway = spawnService(id, ENTRY.gateway, { ...clusterEnv, FLEET_INSTANCE_ID: id, WEBSSH2_LISTEN_PORT: String(ports[index]) });
      processes.push(gateway);
      return gateway;
    };
    const gateways = ports.map((_, index) => startGateway(index));
    await Promise.all([
      waitUntilReady(worker, 'creating its inbox', () => inboxExists(redis, `${prefix}:inbox:worker:worker-0`), STARTUP_TIMEOUT_MS),
      ...gateways.map((gateway, index) => waitUntilReady(gateway, 'answering /readyz', () => answersReady(urls[index]!), STARTUP_TIMEOUT_MS)),
    ]);
    const respawnGateway = async (index: number): Promise<ServiceProcess> => {
      const old = gateways[index];
      if (!old) throw new Error(`no gateway ${index}`);
      await old.exited;
      const gateway = startGateway(index);
      gateways[index] = gateway;
      await waitUntilReady(gateway, 'answering /readyz', () => answersReady(urls[index]!), STARTUP_TIMEOUT_MS);
      return gateway;
    };
    return { url: urls[0]!, urls, gateways, respawnGateway, pids: { gateway: gateways[0]!.pid, worker: worker.pid, redis: redis.pid }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function startAllInOne(env: Record<string, string>): Promise<BenchFleet> {
  const port = await freePort();
  const server = spawnService('all-in-one', ENTRY.allInOne, { ...env, WEBSSH2_LISTEN_PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => void (await server.kill('SIGKILL'));
  try {
    await waitUntilReady(server, 'answering /readyz', () => answersReady(url), STARTUP_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pids: { 'all-in-one': server.pid }, stop };
}

async function answersReady(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

/** The worker creates its inbox right before it starts taking sessions. */
async function inboxExists(redis: RedisHandle, key: string): Promise<boolean> {
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    return (await client.exists(key)) === 1;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
