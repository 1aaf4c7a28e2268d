/**
 * A Gateway on in-memory parts (bus, session store, placement), listening on
 * a free loopback port, with the worker's half of the contract played by the
 * test through `ContractWorker`: the gateway under test is the real class,
 * talking to a peer that does exactly and only what the test scripts.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { Bus } from '../../shared/bus/bus.js';
import { MemoryBusHub } from '../../shared/bus/memory-bus.js';
import type { InboxAddress, ToGateway, ToWorker } from '../../shared/bus/messages.js';
import type { Config } from '../../shared/config/schema.js';
import { CredentialHandoff } from '../../shared/credential-handoff/credential-handoff.js';
import { MemoryHandoffStorage } from '../../shared/credential-handoff/memory-handoff-storage.js';
import { createLogger } from '../../shared/log/logger.js';
import { BusMetrics } from '../../shared/metrics/bus-metrics.js';
import { MemoryPlacement } from '../../shared/placement/memory-placement.js';
import type { SessionJob } from '../../shared/placement/session-job.js';
import { secretKeys, type SecretKeys } from '../../shared/process/startup.js';
import { MemorySessionStore } from '../../shared/session-store/memory-session-store.js';
import { AbuseLimits } from '../../services/gateway/abuse-limits.js';
import { Gateway } from '../../services/gateway/gateway.js';
import { GatewayMetrics } from '../../services/gateway/metrics.js';
import { waitFor } from './wait-for.js';

export interface MemoryGateway {
  url: string;
  gateway: Gateway;
  hub: MemoryBusHub;
  store: MemorySessionStore;
  keys: SecretKeys;
  worker: ContractWorker;
  stop(): Promise<void>;
}

export async function startMemoryGateway(config: Readonly<Config>): Promise<MemoryGateway> {
  const hub = new MemoryBusHub();
  const store = new MemorySessionStore(config.session.endedNoteTtlMs);
  const placement = new MemoryPlacement(4);
  const keys = secretKeys(config.session.secret);
  const registry = new Registry();
  const log = createLogger({ role: 'gateway', instanceId: 'unit', level: 'silent' });
  const httpServer: HttpServer = createServer();
  const gateway: Gateway = new Gateway(
    {
      settings: config,
      bus: hub.connect<ToWorker>('gw:unit'),
      store,
      placement,
      handoff: new CredentialHandoff(new MemoryHandoffStorage(100), keys.credentialsBox, config.http.handoffTtlMs),
      limits: new AbuseLimits(config, 'memory'),
      ...keys,
      log,
      metrics: new GatewayMetrics(registry, new BusMetrics(registry), {
        sockets: () => gateway.socketCount,
        sessions: () => gateway.sessionCount,
        placementWaiting: () => placement.waitingCount(),
      }),
    },
    httpServer,
    { origins: [] },
  );
  gateway.start();
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const worker = new ContractWorker(hub.connect<ToGateway>('worker:unit'), store, keys, placement, config.cluster.leaseTtlMs);
  return {
    url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`,
    gateway,
    hub,
    store,
    keys,
    worker,
    async stop() {
      await gateway.shutdown();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

/** The worker's side of the bus, scripted: it records what arrives and posts what the test says. */
export class ContractWorker {
  readonly jobs: SessionJob[] = [];
  readonly received: Array<{ from: InboxAddress; message: ToWorker }> = [];

  constructor(
    readonly bus: Bus<ToGateway>,
    private readonly store: MemorySessionStore,
    private readonly keys: SecretKeys,
    placement: MemoryPlacement,
    private readonly leaseTtlMs: number,
  ) {
    bus.listen(({ from, message }) => this.received.push({ from, message: message as ToWorker }));
    placement.start(async (job) => {
      this.jobs.push(job);
      return 'taken';
    });
    placement.setFreeSlots(100);
  }

  get address(): InboxAddress {
    return this.bus.address;
  }

  of<T extends ToWorker['type']>(type: T): Array<Extract<ToWorker, { type: T }>> {
    return this.received.map((r) => r.message).filter((m): m is Extract<ToWorker, { type: T }> => m.type === type);
  }

  /** Takes the next job as a worker does: claims it in the store and tells its gateway, with the owner proof. */
  async claimNext(): Promise<SessionJob> {
    await waitFor(() => this.jobs.length > 0, 'a placement job');
    const job = this.jobs.shift()!;
    const owner = { inbox: this.address, proof: this.keys.proofs.owner(job.sid, this.address) };
    const claim = await this.store.claim(job.sid, owner, this.leaseTtlMs);
    if (claim.status !== 'claimed') throw new Error(`could not claim ${job.sid}: ${claim.status}`);
    await this.post(job.gateway, { type: 'claimed', sid: job.sid, worker: this.address, fence: claim.fence, proof: owner.proof });
    return job;
  }

  post(to: InboxAddress, message: ToGateway): Promise<boolean> {
    return this.bus.post(to, message);
  }
}
