/**
 * `npm start`: gateway and worker in one process on in-memory parts (bus,
 * placement, session store), the way Socket.IO's in-memory adapter serves a
 * single node. No Redis needed; sessions do not survive the process.
 */
import { Registry } from 'prom-client';
import type { ToGateway, ToWorker } from '../../shared/bus/messages.js';
import { MemoryBusHub } from '../../shared/bus/memory-bus.js';
import { CredentialHandoff } from '../../shared/credential-handoff/credential-handoff.js';
import { MemoryHandoffStorage } from '../../shared/credential-handoff/memory-handoff-storage.js';
import { MemoryHostKeyStore } from '../../shared/host-key-store/memory-host-key-store.js';
import { MemoryPlacement } from '../../shared/placement/memory-placement.js';
import { createHealthServer } from '../../shared/process/health-endpoints.js';
import { bindHealthPort, bindMainPort } from '../../shared/process/ports.js';
import { onShutdownSignal, secretKeys, startProcess } from '../../shared/process/startup.js';
import { BusMetrics } from '../../shared/metrics/bus-metrics.js';
import { MemorySessionStore } from '../../shared/session-store/memory-session-store.js';
import { AbuseLimits } from '../gateway/abuse-limits.js';
import { Gateway } from '../gateway/gateway.js';
import { loadClientPage } from '../gateway/http/client-page.js';
import { createHttpServer } from '../gateway/http/http-server.js';
import { GatewayMetrics } from '../gateway/metrics.js';
import { seedHostKeys } from '../ssh-worker/host-key-seed.js';
import { WorkerMetrics } from '../ssh-worker/metrics.js';
import { SshWorker } from '../ssh-worker/worker.js';
import { MemoryAttemptSlots } from '../../shared/limits/attempt-slots.js';
import { SlotTargetLock, targetLockPolicy } from '../ssh-worker/target-lock.js';

const { config, log } = startProcess('all-in-one');
const hub = new MemoryBusHub();
const store = new MemorySessionStore(config.session.endedNoteTtlMs);
const placement = new MemoryPlacement(config.cluster.workerSetupConcurrency);
const keys = secretKeys(config.session.secret);
const registry = new Registry();
const busMetrics = new BusMetrics(registry);

const hostKeys = new MemoryHostKeyStore(config.ssh.hostKeyVerification.maxStoredKeys);
await seedHostKeys(hostKeys, config.ssh.hostKeyVerification, log);
const worker: SshWorker = new SshWorker({
  settings: config,
  bus: hub.connect<ToGateway>('worker:local'),
  store,
  placement,
  credentialsBox: keys.credentialsBox,
  proofs: keys.proofs,
  hostKeys,
  targetLock: new SlotTargetLock(new MemoryAttemptSlots(targetLockPolicy(config))),
  log: log.child({ part: 'ssh-worker' }),
  metrics: new WorkerMetrics(registry, busMetrics, { sessions: () => worker.sessionCount, draining: () => worker.draining }),
});
worker.start();

let shuttingDown = false;
const handoff = new CredentialHandoff(new MemoryHandoffStorage(config.http.handoffMaxPending), keys.credentialsBox, config.http.handoffTtlMs);
const limits = new AbuseLimits(config, 'memory');
const gatewayLog = log.child({ part: 'gateway' });
const probe = { ready: () => !shuttingDown };
const httpServer = await createHttpServer({
  probe,
  settings: config,
  handoff,
  limits,
  page: loadClientPage(config.http.clientDir),
  log: gatewayLog,
});
const gatewayMetrics = new GatewayMetrics(registry, busMetrics, {
  sockets: () => gateway.socketCount,
  sessions: () => gateway.sessionCount,
  placementWaiting: () => placement.waitingCount(),
});
const gateway: Gateway = new Gateway(
  { settings: config, bus: hub.connect<ToWorker>('gw:local'), store, placement, handoff, limits, ...keys, log: gatewayLog, metrics: gatewayMetrics },
  httpServer,
  { origins: config.http.origins },
);
const healthServer = createHealthServer(probe, { registry, token: config.metrics.token });
await bindMainPort(httpServer, config.listen.port, config.listen.ip, 'all-in-one', 'WEBSSH2_LISTEN_PORT');
const healthPort = await bindHealthPort(healthServer, config.metrics.port, log);
gateway.start();
log.info({ event: 'listening', ip: config.listen.ip, port: config.listen.port, healthPort }, 'all-in-one listening');

onShutdownSignal(log, 10_000, async () => {
  shuttingDown = true;
  await gateway.shutdown();
  healthServer.close();
  await worker.stop('server shutting down');
});
