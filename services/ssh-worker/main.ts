/** `npm run worker`: the ssh-worker role of a cluster (needs Redis: REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES). */
import { Registry } from 'prom-client';
import { keyLayout } from '../../shared/bus/keys.js';
import type { ToGateway } from '../../shared/bus/messages.js';
import { watchRedisClients } from '../../shared/redis/client-events.js';
import { connectRedis } from '../../shared/redis/connection.js';
import { describeTopology } from '../../shared/redis/topology.js';
import { RedisBus } from '../../shared/bus/redis-bus.js';
import { BullmqPlacementConsumer } from '../../shared/placement/bullmq-placement.js';
import { onShutdownSignal, requireRedis, secretKeys, startProcess } from '../../shared/process/startup.js';
import { RedisHostKeyStore } from '../../shared/host-key-store/redis-host-key-store.js';
import { BusMetrics } from '../../shared/metrics/bus-metrics.js';
import { createHealthServer } from '../../shared/process/health-endpoints.js';
import { bindHealthPort } from '../../shared/process/ports.js';
import { RedisSessionStore } from '../../shared/session-store/redis-session-store.js';
import { RedisAttemptSlots } from '../../shared/limits/attempt-slots.js';
import { seedHostKeys } from './host-key-seed.js';
import { SlotTargetLock, targetLockPolicy } from './target-lock.js';
import { WorkerMetrics } from './metrics.js';
import { SshWorker } from './worker.js';

const { config, instanceId, log } = startProcess('ssh-worker');
const topology = requireRedis(config, 'ssh-worker');
const keys = keyLayout(config.cluster.keyPrefix);
// As in the gateway: the bus's auto-pipelined connection carries no Lua
// scripts (ioredis copies them into every pipeline).
const commands = connectRedis(topology, `worker:${instanceId}`, { autoPipelining: true });
const reader = connectRedis(topology, `worker:${instanceId}:inbox`);
const state = connectRedis(topology, `worker:${instanceId}:state`);
const placementConnection = connectRedis(topology, `worker:${instanceId}:placement`);
const registry = new Registry();
const busMetrics = new BusMetrics(registry);
const clients = { commands, reader, state, placement: placementConnection };
watchRedisClients(clients, 'commands', busMetrics, log);

const bus = new RedisBus<ToGateway>({ address: `worker:${instanceId}`, keys, commands, reader, inboxTtlMs: config.cluster.leaseTtlMs });
bus.on('error', (error, context) => {
  busMetrics.redisError(context);
  log.warn({ err: error.message, context }, 'bus error');
});
bus.on('messages-lost', (cause) => busMetrics.inboxMayHaveLost(cause));
const metrics = new WorkerMetrics(registry, busMetrics, { sessions: () => worker.sessionCount, draining: () => worker.draining });
const hostKeys = new RedisHostKeyStore(state, keys, config.ssh.hostKeyVerification.maxStoredKeys);
const worker: SshWorker = new SshWorker({
  settings: config,
  bus,
  store: new RedisSessionStore(state, keys, config.session.endedNoteTtlMs),
  placement: new BullmqPlacementConsumer({
    connection: placementConnection,
    keys,
    setupConcurrency: config.cluster.workerSetupConcurrency,
    onError: (error, context) => log.warn({ err: error.message, context }, 'placement error'),
  }),
  ...secretKeys(config.session.secret),
  hostKeys,
  targetLock: new SlotTargetLock(new RedisAttemptSlots(state, (key) => keys.attemptSlots('target', key), targetLockPolicy(config))),
  log,
  metrics,
});
let started = false;
// Ready while Redis answers, accepting or draining alike: a draining worker
// still serves its sessions and must not be restarted by its probes.
// POST /drain starts the same drain as SIGTERM and answers once the worker is
// empty: Kubernetes' preStop hook calls it, so the pod's SIGTERM finds
// nothing left to do.
const healthServer = createHealthServer(
  { ready: () => started && commands.status === 'ready' && state.status === 'ready' },
  { registry, token: config.metrics.token },
  {
    'POST /drain': async () => {
      await worker.drain(config.cluster.drainTimeoutMs);
      return 'drained';
    },
  },
);
// The port first: a worker that cannot serve its probes joins nothing.
const healthPort = await bindHealthPort(healthServer, config.metrics.port, log);
await bus.open();
await seedHostKeys(hostKeys, config.ssh.hostKeyVerification, log);
worker.start();
started = true;
log.info({ event: 'ready', inbox: bus.address, maxSessions: config.cluster.workerMaxSessions, healthPort, redis: describeTopology(topology) }, 'worker ready');

// SIGTERM drains: the sessions this worker holds keep running until they end
// or the drain timeout passes (set terminationGracePeriodSeconds above it).
onShutdownSignal(log, config.cluster.drainTimeoutMs + 15_000, async () => {
  await worker.drain(config.cluster.drainTimeoutMs);
  healthServer.close();
  for (const client of Object.values(clients)) client.disconnect();
});
