/**
 * Starts webssh-fleet from the built dist/ for the bench: a cluster of one
 * gateway and one worker around a redis-server of its own, or the
 * all-in-one process. It builds on the test harness (spawnService,
 * startRedis) but not on its startFleet: that waits for the info-level
 * "listening"/"ready" log lines, and the bench runs the fleet at
 * LOG_LEVEL=warn so logging is not part of what it measures. Readiness is
 * probed instead: the gateway's /readyz and the worker's inbox stream.
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

const STARTUP_TIMEOUT_MS = 20_000;

export async function startCluster(env: Record<string, string>): Promise<BenchFleet> {
  const redis = await startRedis();
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
    const port = await freePort();
    const worker = spawnService('worker-0', ENTRY.worker, { ...clusterEnv, FLEET_INSTANCE_ID: 'worker-0' });
    processes.push(worker);
    const gateway = spawnService('gateway-0', ENTRY.gateway, { ...clusterEnv, FLEET_INSTANCE_ID: 'gateway-0', WEBSSH2_LISTEN_PORT: String(port) });
    processes.push(gateway);
    const url = `http://127.0.0.1:${port}`;
    await Promise.all([
      waitUntilReady(worker, 'creating its inbox', () => inboxExists(redis, `${prefix}:inbox:worker:worker-0`), STARTUP_TIMEOUT_MS),
      waitUntilReady(gateway, 'answering /readyz', () => answersReady(url), STARTUP_TIMEOUT_MS),
    ]);
    return { url, pids: { gateway: gateway.pid, worker: worker.pid, redis: redis.pid }, stop };
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
