/**
 * Redis the way operators run it when one server is not enough, made of real
 * `redis-server` processes on free loopback ports (a sentinel is
 * `redis-server --sentinel`):
 *
 * - Sentinel: a primary, a replica and three sentinels that agree (quorum 2)
 *   on failing over within a couple of seconds of the primary's death.
 * - Redis Cluster: masters with one replica each, made into a cluster with
 *   `redis-cli --cluster create`; a master's death promotes its replica.
 *
 * Each hands the fleet its environment (REDIS_SENTINELS..., REDIS_CLUSTER_NODES)
 * and the test a client of the same topology to look inside.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { onProcessExit } from './exit-cleanup.js';
import { freePort } from './free-port.js';
import { spawnProcess, waitUntilReady, type ServiceProcess } from './processes.js';

const HOST = '127.0.0.1';
const run = promisify(execFile);

export interface RedisNode {
  port: number;
  process: ServiceProcess;
  /** False once the process has exited (a test killed it). */
  readonly alive: boolean;
}

/** Polls an asynchronous condition until it holds, or fails naming what did not happen. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function tracked(port: number, process: ServiceProcess): RedisNode {
  let alive = true;
  void process.exited.then(() => (alive = false));
  return {
    port,
    process,
    get alive() {
      return alive;
    },
  };
}

export interface RedisTopologyHandle {
  kind: 'sentinel' | 'cluster';
  /** The environment that points a fleet's processes at this Redis. */
  env: Record<string, string>;
  /** A client of this topology, for a test to look at keys (disconnect it when done). */
  inspector(): Redis | Cluster;
  /** The node that serves writes for `key` now. */
  primaryFor(key: string): Promise<RedisNode>;
  stop(): Promise<void>;
}

async function workDir(name: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `fleet-${name}-`));
  const unregister = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    cleanup: async () => {
      await rm(dir, { recursive: true, force: true });
      unregister();
    },
  };
}

/** A probe's client reports failure by its answer; its error events are expected and not news. */
function quiet<Client extends Redis | Cluster>(client: Client): Client {
  client.on('error', () => undefined);
  return client;
}

async function answersPing(port: number): Promise<boolean> {
  const client = quiet(new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null }));
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Replication starts at once (Redis 7 waits 5 s by default for more replicas
 * to share a diskless sync), so a replica is in sync before a test kills its
 * primary.
 */
const REPLICATION = ['--repl-diskless-sync-delay', '0'];

async function startNode(name: string, dir: string, args: string[]): Promise<RedisNode> {
  const port = await freePort();
  await mkdir(join(dir, String(port)), { recursive: true });
  const process = spawnProcess(`${name}:${port}`, 'redis-server', [
    '--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', join(dir, String(port)), ...REPLICATION, ...args,
  ]);
  await waitUntilReady(process, 'answering PING', () => answersPing(port));
  return tracked(port, process);
}

/** A primary and its replica under three sentinels that fail over about two seconds after the primary dies. */
export async function startRedisSentinel(name = 'fleet'): Promise<RedisTopologyHandle & { nodes: RedisNode[]; sentinels: RedisNode[] }> {
  const { dir, cleanup } = await workDir('sentinel');
  const nodes: RedisNode[] = [];
  const sentinels: RedisNode[] = [];
  const stop = async () => {
    await Promise.all([...nodes, ...sentinels].map((node) => node.process.kill('SIGKILL')));
    await cleanup();
  };
  try {
    nodes.push(await startNode('redis-primary', dir, []));
    nodes.push(await startNode('redis-replica', dir, ['--replicaof', HOST, String(nodes[0]!.port)]));
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      // A sentinel rewrites its own configuration file: each gets one.
      const file = join(dir, `sentinel-${port}.conf`);
      await writeFile(
        file,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          `sentinel monitor ${name} ${HOST} ${nodes[0]!.port} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 4000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      const process = spawnProcess(`redis-sentinel:${port}`, 'redis-server', [file, '--sentinel']);
      await waitUntilReady(process, 'answering PING', () => answersPing(port));
      sentinels.push(tracked(port, process));
    }
    await until(() => replicaInSync(nodes[1]!.port), 'the replica to be in sync with the primary', 20_000);
    // Ready when every sentinel knows the primary and its replica.
    await until(
      async () => (await Promise.all(sentinels.map((sentinel) => sentinelSees(sentinel.port, name)))).every((count) => count >= 1),
      'the sentinels to discover the replica',
      20_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const sentinelList = sentinels.map((sentinel) => `${HOST}:${sentinel.port}`).join(',');
  return {
    kind: 'sentinel',
    nodes,
    sentinels,
    env: { REDIS_SENTINELS: sentinelList, REDIS_SENTINEL_NAME: name },
    inspector: () => new Redis({ sentinels: sentinels.map((s) => ({ host: HOST, port: s.port })), name }),
    primaryFor: async () => {
      const client = quiet(new Redis({ host: HOST, port: sentinels.find((s) => s.alive)!.port }));
      try {
        const [, port] = (await client.call('SENTINEL', 'get-master-addr-by-name', name)) as [string, string];
        return nodes.find((node) => node.port === Number(port))!;
      } finally {
        client.disconnect();
      }
    },
    stop,
  };
}

/** How many replicas a sentinel knows for `name`. */
async function sentinelSees(port: number, name: string): Promise<number> {
  const client = quiet(new Redis({ host: HOST, port, maxRetriesPerRequest: 1 }));
  try {
    const replicas = (await client.call('SENTINEL', 'replicas', name)) as unknown[];
    return replicas.length;
  } catch {
    return 0;
  } finally {
    client.disconnect();
  }
}

/** `masters` masters with one replica each, slots spread over the masters; a dead master's replica takes over in about two seconds. */
export async function startRedisCluster(masters = 3): Promise<RedisTopologyHandle & { nodes: RedisNode[] }> {
  const { dir, cleanup } = await workDir('cluster');
  const nodes: RedisNode[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.process.kill('SIGKILL')));
    await cleanup();
  };
  try {
    const started = await Promise.all(
      Array.from({ length: masters * 2 }, () =>
        // A replica may take over however long it was out of touch: a test's
        // cluster is young, and its replicas' links may have blinked.
        startNode('redis-cluster', dir, [
          '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000', '--cluster-replica-validity-factor', '0',
        ]),
      ),
    );
    nodes.push(...started);
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => `${HOST}:${node.port}`), '--cluster-replicas', '1', '--cluster-yes']);
    await until(async () => (await Promise.all(nodes.map((node) => clusterIsOk(node.port)))).every(Boolean), 'every node to report cluster_state:ok', 30_000);
    await until(async () => (await Promise.all(nodes.map((node) => inSyncIfReplica(node.port)))).every(Boolean), 'every replica to be in sync', 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const seeds = nodes.map((node) => ({ host: HOST, port: node.port }));
  return {
    kind: 'cluster',
    nodes,
    env: { REDIS_CLUSTER_NODES: seeds.map((seed) => `${seed.host}:${seed.port}`).join(',') },
    inspector: () => new Cluster(seeds),
    primaryFor: async (key) => {
      const alive = nodes.find((node) => node.alive)!;
      const client = quiet(new Redis({ host: HOST, port: alive.port }));
      try {
        const slot = (await client.call('CLUSTER', 'KEYSLOT', key)) as number;
        const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
        const range = ranges.find(([from, to]) => slot >= from && slot <= to)!;
        return nodes.find((node) => node.port === Number(range[2][1]))!;
      } finally {
        client.disconnect();
      }
    },
    stop,
  };
}

async function clusterIsOk(port: number): Promise<boolean> {
  const client = quiet(new Redis({ host: HOST, port, maxRetriesPerRequest: 1 }));
  try {
    const info = (await client.call('CLUSTER', 'INFO')) as string;
    return info.includes('cluster_state:ok');
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** What `INFO replication` says of a node: its role and, for a replica, whether its link to the primary is up. */
async function replication(port: number): Promise<{ role: string; linkUp: boolean }> {
  const client = quiet(new Redis({ host: HOST, port, maxRetriesPerRequest: 1 }));
  try {
    const info = await client.info('replication');
    return { role: /role:(\w+)/.exec(info)?.[1] ?? '', linkUp: info.includes('master_link_status:up') };
  } catch {
    return { role: '', linkUp: false };
  } finally {
    client.disconnect();
  }
}

async function replicaInSync(port: number): Promise<boolean> {
  const { role, linkUp } = await replication(port);
  return role === 'slave' && linkUp;
}

async function inSyncIfReplica(port: number): Promise<boolean> {
  const { role, linkUp } = await replication(port);
  return role === 'master' || (role === 'slave' && linkUp);
}
