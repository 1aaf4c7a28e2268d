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
 * and the test a client of the same topology to look inside. With `password`
 * every node and sentinel requires it; with `tls` they speak only TLS
 * (replication and the cluster bus too), with a certificate from a CA made
 * for the run.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { onProcessExit } from './exit-cleanup.js';
import { freePort } from './free-port.js';
import { spawnProcess, waitUntilReady, type ServiceProcess } from './processes.js';
import { makeCertificates, type Certificates } from './redis-server.js';

const HOST = '127.0.0.1';
const execute = promisify(execFile);

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

export interface TopologyOptions {
  /** Every node and sentinel requires it (AUTH). */
  password?: string;
  /** Every node and sentinel speaks only TLS. */
  tls?: boolean;
}

/** How the harness's own clients reach a node: the password, and the CA to trust. */
interface Access {
  password: string | undefined;
  tls: (Certificates & { ca: Buffer }) | undefined;
}

function clientOptions(access: Access): RedisOptions {
  return {
    ...(access.password !== undefined && { password: access.password }),
    ...(access.tls && { tls: { ca: access.tls.ca } }),
  };
}

/** The redis-server arguments for a node's port, password and TLS (`link`: TLS between nodes too). */
function serverArgs(port: number, access: Access, link: string[]): string[] {
  const { tls, password } = access;
  const listen = tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'no', ...link]
    : ['--port', String(port)];
  return [...listen, ...(password === undefined ? [] : ['--requirepass', password, '--masterauth', password])];
}

async function access(dir: string, options: TopologyOptions): Promise<Access> {
  const certificates = options.tls ? await makeCertificates(dir, HOST) : undefined;
  return {
    password: options.password,
    tls: certificates && { ...certificates, ca: await readFile(certificates.caFile) },
  };
}

/** The environment that gives the fleet's processes the same access (REDIS_PASSWORD, REDIS_TLS, the CA). */
function accessEnv(access: Access, sentinels: boolean): Record<string, string> {
  return {
    ...(access.password !== undefined && { REDIS_PASSWORD: access.password, ...(sentinels && { REDIS_SENTINEL_PASSWORD: access.password }) }),
    ...(access.tls && { REDIS_TLS: 'true', NODE_EXTRA_CA_CERTS: access.tls.caFile }),
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

/** A plain client of one node or sentinel, with the run's password and CA. */
function nodeClient(port: number, access: Access, extra: RedisOptions = {}): Redis {
  return quiet(new Redis({ host: HOST, port, maxRetriesPerRequest: 1, ...clientOptions(access), ...extra }));
}

async function answersPing(port: number, access: Access): Promise<boolean> {
  const client = nodeClient(port, access, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
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

async function startNode(name: string, dir: string, access: Access, args: string[], link: string[]): Promise<RedisNode> {
  const port = await freePort();
  await mkdir(join(dir, String(port)), { recursive: true });
  const process = spawnProcess(`${name}:${port}`, 'redis-server', [
    ...serverArgs(port, access, link), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', join(dir, String(port)), ...REPLICATION, ...args,
  ]);
  await waitUntilReady(process, 'answering PING', () => answersPing(port, access));
  return tracked(port, process);
}

/** A primary and its replica under three sentinels that fail over about two seconds after the primary dies. */
export async function startRedisSentinel(options: TopologyOptions = {}, name = 'fleet'): Promise<RedisTopologyHandle & { nodes: RedisNode[]; sentinels: RedisNode[] }> {
  const { dir, cleanup } = await workDir('sentinel');
  const run = await access(dir, options);
  // A replica reaches its primary, and a sentinel its nodes, over TLS too.
  const link = ['--tls-replication', 'yes'];
  const nodes: RedisNode[] = [];
  const sentinels: RedisNode[] = [];
  const stop = async () => {
    await Promise.all([...nodes, ...sentinels].map((node) => node.process.kill('SIGKILL')));
    await cleanup();
  };
  try {
    nodes.push(await startNode('redis-primary', dir, run, [], link));
    nodes.push(await startNode('redis-replica', dir, run, ['--replicaof', HOST, String(nodes[0]!.port)], link));
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      // A sentinel rewrites its own configuration file: each gets one.
      const file = join(dir, `sentinel-${port}.conf`);
      await writeFile(
        file,
        [
          ...(run.tls
            ? ['port 0', `tls-port ${port}`, `tls-cert-file ${run.tls.certFile}`, `tls-key-file ${run.tls.keyFile}`, `tls-ca-cert-file ${run.tls.caFile}`, 'tls-auth-clients no', 'tls-replication yes']
            : [`port ${port}`]),
          `bind ${HOST}`,
          `dir ${dir}`,
          `sentinel monitor ${name} ${HOST} ${nodes[0]!.port} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 4000`,
          `sentinel parallel-syncs ${name} 1`,
          ...(run.password === undefined ? [] : [`sentinel auth-pass ${name} ${run.password}`, `requirepass ${run.password}`]),
          '',
        ].join('\n'),
      );
      const process = spawnProcess(`redis-sentinel:${port}`, 'redis-server', [file, '--sentinel']);
      await waitUntilReady(process, 'answering PING', () => answersPing(port, run));
      sentinels.push(tracked(port, process));
    }
    await until(() => replicaInSync(nodes[1]!.port, run), 'the replica to be in sync with the primary', 20_000);
    // Ready when every sentinel knows the primary and its replica.
    await until(
      async () => (await Promise.all(sentinels.map((sentinel) => sentinelSees(sentinel.port, name, run)))).every((count) => count >= 1),
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
    env: { REDIS_SENTINELS: sentinelList, REDIS_SENTINEL_NAME: name, ...accessEnv(run, true) },
    inspector: () =>
      new Redis({
        sentinels: sentinels.map((s) => ({ host: HOST, port: s.port })),
        name,
        ...clientOptions(run),
        ...(run.password !== undefined && { sentinelPassword: run.password }),
        ...(run.tls && { enableTLSForSentinelMode: true, sentinelTLS: { ca: run.tls.ca } }),
      }),
    primaryFor: async () => {
      const client = nodeClient(sentinels.find((s) => s.alive)!.port, run);
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
async function sentinelSees(port: number, name: string, access: Access): Promise<number> {
  const client = nodeClient(port, access);
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
export async function startRedisCluster(options: TopologyOptions = {}, masters = 3): Promise<RedisTopologyHandle & { nodes: RedisNode[] }> {
  const { dir, cleanup } = await workDir('cluster');
  const run = await access(dir, options);
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
        startNode(
          'redis-cluster',
          dir,
          run,
          ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000', '--cluster-replica-validity-factor', '0'],
          ['--tls-replication', 'yes', '--tls-cluster', 'yes'],
        ),
      ),
    );
    nodes.push(...started);
    const cliAccess = [
      ...(run.tls ? ['--tls', '--cacert', run.tls.caFile] : []),
      ...(run.password === undefined ? [] : ['-a', run.password, '--no-auth-warning']),
    ];
    await execute('redis-cli', [...cliAccess, '--cluster', 'create', ...nodes.map((node) => `${HOST}:${node.port}`), '--cluster-replicas', '1', '--cluster-yes']);
    await until(async () => (await Promise.all(nodes.map((node) => clusterIsOk(node.port, run)))).every(Boolean), 'every node to report cluster_state:ok', 30_000);
    await until(async () => (await Promise.all(nodes.map((node) => inSyncIfReplica(node.port, run)))).every(Boolean), 'every replica to be in sync', 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const seeds = nodes.map((node) => ({ host: HOST, port: node.port }));
  return {
    kind: 'cluster',
    nodes,
    env: { REDIS_CLUSTER_NODES: seeds.map((seed) => `${seed.host}:${seed.port}`).join(','), ...accessEnv(run, false) },
    inspector: () => new Cluster(seeds, { redisOptions: clientOptions(run) }),
    primaryFor: async (key) => {
      const alive = nodes.find((node) => node.alive)!;
      const client = nodeClient(alive.port, run);
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

async function clusterIsOk(port: number, access: Access): Promise<boolean> {
  const client = nodeClient(port, access);
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
async function replication(port: number, access: Access): Promise<{ role: string; linkUp: boolean }> {
  const client = nodeClient(port, access);
  try {
    const info = await client.info('replication');
    return { role: /role:(\w+)/.exec(info)?.[1] ?? '', linkUp: info.includes('master_link_status:up') };
  } catch {
    return { role: '', linkUp: false };
  } finally {
    client.disconnect();
  }
}

async function replicaInSync(port: number, access: Access): Promise<boolean> {
  const { role, linkUp } = await replication(port, access);
  return role === 'slave' && linkUp;
}

async function inSyncIfReplica(port: number, access: Access): Promise<boolean> {
  const { role, linkUp } = await replication(port, access);
  return role === 'master' || (role === 'slave' && linkUp);
}
