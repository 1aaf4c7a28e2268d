/**
 * `npm start`: gateway and worker in one process on in-memory parts (bus,
 * placement, session store), the way Socket.IO's in-memory adapter serves a
 * single node. No Redis needed; sessions do not survive the process.
 */
import type { ToGateway, ToWorker } from '../../shared/bus/messages.js';
import { MemoryBusHub } from '../../shared/bus/memory-bus.js';
import { MemoryPlacement } from '../../shared/placement/memory-placement.js';
import { onShutdownSignal, secretKeys, startProcess } from '../../shared/process/startup.js';
import { MemorySessionStore } from '../../shared/session-store/memory-session-store.js';
import { Gateway } from '../gateway/gateway.js';
import { createHttpServer } from '../gateway/http-server.js';
import { SshWorker } from '../ssh-worker/worker.js';

const { config, log } = startProcess('all-in-one');
const hub = new MemoryBusHub();
const store = new MemorySessionStore();
const placement = new MemoryPlacement(config.cluster.workerSetupConcurrency);
const keys = secretKeys(config.session.secret);

const worker = new SshWorker({
  settings: config,
  bus: hub.connect<ToGateway>('worker:local'),
  store,
  placement,
  credentialsBox: keys.credentialsBox,
  log: log.child({ part: 'ssh-worker' }),
});
worker.start();

let shuttingDown = false;
const httpServer = createHttpServer({ ready: () => !shuttingDown });
const gateway = new Gateway(
  { settings: config, bus: hub.connect<ToWorker>('gw:local'), store, placement, ...keys, log: log.child({ part: 'gateway' }) },
  httpServer,
  { origins: config.http.origins },
);
gateway.start();
httpServer.listen(config.listen.port, config.listen.ip, () => {
  log.info({ event: 'listening', ip: config.listen.ip, port: config.listen.port }, 'all-in-one listening');
});

onShutdownSignal(log, 10_000, async () => {
  shuttingDown = true;
  await gateway.shutdown();
  await worker.stop('server shutting down');
});
