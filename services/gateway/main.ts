/** `npm run gateway`: the gateway role of a cluster (needs Redis: REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES). */
import { Registry } from 'prom-client';
import { keyLayout } from '../../shared/bus/keys.js';
import type { ToWorker } from '../../shared/bus/messages.js';
import { watchRedisClients } from '../../shared/redis/client-events.js';
import { connectRedis } from '../../shared/redis/connection.js';
import { describeTopology } from '../../shared/redis/topology.js';
import { RedisBus } from '../../shared/bus/redis-bus.js';
import { CredentialHandoff } from '../../shared/credential-handoff/credential-handoff.js';
import { RedisHandoffStorage } from '../../shared/credential-handoff/redis-handoff-storage.js';
import { BullmqPlacementQueue } from '../../shared/placement/bullmq-placement.js';
import { createHealthServer } from '../../shared/process/health-endpoints.js';
import { bindHealthPort, bindMainPort } from '../../shared/process/ports.js';
import { onShutdownSignal, requireRedis, secretKeys, startProcess } from '../../shared/process/startup.js';
import { BusMetrics } from '../../shared/metrics/bus-metrics.js';
import { RedisSessionStore } from '../../shared/session-store/redis-session-store.js';
import { AbuseLimits } from './abuse-limits.js';
import { Gateway } from './gateway.js';
import { loadClientPage } from './http/client-page.js';
import { createHttpServer } from './http/http-server.js';
import { GatewayMetrics } from './metrics.js';
import { socketIoAdapter } from './socket-io-adapter.js';

const { config, instanceId, log } = startProcess('gateway');
const topology = requireRedis(config, 'gateway');
const keys = keyLayout(config.cluster.keyPrefix);
// The bus's hot path gets a connection of its own with auto-pipelining;
// ioredis copies every defined Lua script into each pipeline, so the session
// store's scripts and BullMQ's live on another.
const commands = connectRedis(topology, `gateway:${instanceId}`, { autoPipelining: true });
const reader = connectRedis(topology, `gateway:${instanceId}:inbox`);
const state = connectRedis(topology, `gateway:${instanceId}:state`);
// BullMQ defines its dozens of Lua scripts on the connection it is given, and
// ioredis copies every defined script into each pipeline and MULTI: on a
// connection of their own they do not weigh on the session store's.
const placementConnection = connectRedis(topology, `gateway:${instanceId}:placement`);
const adapterPub = connectRedis(topology, `gateway:${instanceId}:adapter-pub`);
const adapterSub = connectRedis(topology, `gateway:${instanceId}:adapter-sub`, { shardedSubscriber: true });
const registry = new Registry();
const busMetrics = new BusMetrics(registry);
const clients = { commands, reader, state, placement: placementConnection, adapterPub, adapterSub };
watchRedisClients(clients, 'commands', busMetrics, log);

const bus = new RedisBus<ToWorker>({ address: `gw:${instanceId}`, keys, commands, reader, inboxTtlMs: config.cluster.leaseTtlMs });
bus.on('error', (error, context) => {
  busMetrics.redisError(context);
  log.warn({ err: error.message, context }, 'bus error');
});
bus.on('messages-lost', (cause) => busMetrics.inboxMayHaveLost(cause));
let shuttingDown = false;
let started = false;
const placement = new BullmqPlacementQueue(placementConnection, keys);
const metrics = new GatewayMetrics(registry, busMetrics, {
  sockets: () => gateway.socketCount,
  sessions: () => gateway.sessionCount,
  placementWaiting: () => placement.waitingCount(),
});
const secrets = secretKeys(config.session.secret);
const handoff = new CredentialHandoff(new RedisHandoffStorage(state, keys, config.http.handoffMaxPending), secrets.credentialsBox, config.http.handoffTtlMs);
const limits = new AbuseLimits(config, { redis: state, keys });
const probe = { ready: () => started && !shuttingDown && [commands, state, placementConnection].every((client) => client.status === 'ready') };
const httpServer = await createHttpServer({
  probe,
  settings: config,
  handoff,
  limits,
  page: loadClientPage(config.http.clientDir),
  log,
});
const gateway: Gateway = new Gateway(
  {
    settings: config,
    bus,
    store: new RedisSessionStore(state, keys, config.session.endedNoteTtlMs),
    placement,
    handoff,
    limits,
    ...secrets,
    log,
    metrics,
  },
  httpServer,
  { origins: config.http.origins, adapter: socketIoAdapter(topology, adapterPub, adapterSub, keys) },
);
const healthServer = createHealthServer(probe, { registry, token: config.metrics.token });
// The ports first: a gateway that cannot listen announces no inbox.
await bindMainPort(httpServer, config.listen.port, config.listen.ip, 'gateway', 'WEBSSH2_LISTEN_PORT');
const healthPort = await bindHealthPort(healthServer, config.metrics.port, log);
await bus.open();
gateway.start();
started = true;
log.info({ event: 'listening', ip: config.listen.ip, port: config.listen.port, healthPort, inbox: bus.address, redis: describeTopology(topology) }, 'gateway listening');

onShutdownSignal(log, 10_000, async () => {
  shuttingDown = true;
  await gateway.shutdown();
  healthServer.close();
  for (const client of Object.values(clients)) client.disconnect();
});
