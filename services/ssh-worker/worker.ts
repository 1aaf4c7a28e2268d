/**
 * An ssh-worker: takes new sessions from placement while it has room, owns
 * their SSH connections, routes its inbox to them, and keeps their leases
 * alive. The same class runs inside the all-in-one process, on in-memory
 * parts.
 */
import type { Bus, Envelope } from '../../shared/bus/bus.js';
import { isToWorker, type InboxAddress, type ToGateway } from '../../shared/bus/messages.js';
import type { OwnershipProofs } from '../../shared/crypto/ownership-proof.js';
import type { SealedBox } from '../../shared/crypto/sealed-box.js';
import type { HostKeyStore } from '../../shared/host-key-store/host-key-store.js';
import type { Logger } from '../../shared/log/logger.js';
import type { PlacementConsumer } from '../../shared/placement/placement.js';
import { credentialsSchema, type SessionJob } from '../../shared/placement/session-job.js';
import type { SessionStore } from '../../shared/session-store/session-store.js';
import { DestinationPolicy } from './destination-policy.js';
import type { WorkerMetrics } from './metrics.js';
import { SshSession, type SessionSettings } from './ssh-session.js';
import type { TargetLock } from './target-lock.js';

export interface WorkerSettings extends SessionSettings {
  cluster: { workerMaxSessions: number; leaseTtlMs: number; heartbeatIntervalMs: number };
}

export interface SshWorkerParts {
  settings: WorkerSettings;
  bus: Bus<ToGateway>;
  store: SessionStore;
  placement: PlacementConsumer;
  credentialsBox: SealedBox;
  /** Proves this worker's ownership of its sessions, and checks gateways' claims to carry them. */
  proofs: OwnershipProofs;
  /** Trusted SSH host keys: Redis in a cluster, in memory in one process. */
  hostKeys: HostKeyStore;
  /** The brute-force lock on login targets, shared by the cluster. */
  targetLock: TargetLock;
  log: Logger;
  metrics: WorkerMetrics;
}

export class SshWorker {
  private readonly sessions = new Map<string, SshSession>();
  private readonly destinations: DestinationPolicy;
  private heartbeat: NodeJS.Timeout | undefined;
  private accepting = true;
  /** Set while draining: called when the last session ends. */
  private drained: (() => void) | undefined;
  private drainDone: Promise<void> | undefined;

  constructor(private readonly parts: SshWorkerParts) {
    this.destinations = new DestinationPolicy(parts.settings.ssh);
    if (this.destinations.isOpenProxy) {
      parts.log.warn('WEBSSH2_SSH_ALLOWED_SUBNETS is empty and no host is locked: this worker is an open proxy to any host it can reach');
    }
  }

  get address(): InboxAddress {
    return this.parts.bus.address;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  get draining(): boolean {
    return !this.accepting;
  }

  start(): void {
    const { bus, placement, settings } = this.parts;
    bus.listen((envelope) => this.route(envelope));
    bus.onMessagesLost?.((cause) => {
      this.parts.log.warn({ sessions: this.sessions.size, cause }, 'inbox may have lost messages; asking carriers for missing input');
      for (const session of this.sessions.values()) session.inputMayBeLost();
    });
    placement.start((job) => this.setup(job));
    this.updateCapacity();
    this.heartbeat = setInterval(() => void this.renewLeases(), settings.cluster.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  /**
   * Drains: takes no new sessions, tells the users of the ones it has, and
   * keeps serving them until they end or `timeoutMs` passes; then ends what
   * is left and closes its parts. Asking again (a preStop hook, then SIGTERM)
   * joins the drain under way.
   */
  drain(timeoutMs: number): Promise<void> {
    this.drainDone ??= this.drainOnce(timeoutMs);
    return this.drainDone;
  }

  private async drainOnce(timeoutMs: number): Promise<void> {
    const { log, placement } = this.parts;
    this.accepting = false;
    this.updateCapacity();
    this.parts.metrics.drainStarted();
    await placement.close();
    log.info({ event: 'drain-start', sessions: this.sessions.size, timeoutMs }, 'draining');
    const minutes = Math.max(1, Math.round(timeoutMs / 60_000));
    for (const session of this.sessions.values()) {
      session.notify({ element: 'status', value: `This server is being drained: the session will be closed within ${minutes} min` });
    }
    if (this.sessions.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await this.stop('worker drained');
  }

  /** Ends every session now and closes its parts. */
  async stop(reason: string): Promise<void> {
    this.accepting = false;
    clearInterval(this.heartbeat);
    await this.parts.placement.close();
    for (const session of [...this.sessions.values()]) session.end(reason, true);
    await this.parts.bus.close();
  }

  private route({ message, from, sentAt }: Envelope): void {
    this.parts.metrics.relayed(sentAt);
    const session = this.sessions.get(message.sid);
    if (!session) {
      this.parts.log.debug({ sid: message.sid, type: message.type }, 'message for a session this worker does not hold');
      return;
    }
    if (isToWorker(message)) session.handle(message, from);
    else this.parts.log.warn({ sid: message.sid, type: message.type }, 'gateway-bound message in a worker inbox; dropped');
  }

  private async setup(job: SessionJob): Promise<'taken' | 'declined'> {
    const { settings, store, bus, credentialsBox, proofs, log, metrics } = this.parts;
    if (!this.accepting || this.sessions.size >= settings.cluster.workerMaxSessions) return 'declined';
    const takenAt = Date.now();
    metrics.placementWaited(job.enqueuedAt);
    if (Date.now() > job.deadline) {
      log.info({ sid: job.sid }, 'placement job arrived after its deadline; skipped');
      return 'taken';
    }
    const owner = { inbox: bus.address, proof: proofs.owner(job.sid, bus.address) };
    const claim = await store.claim(job.sid, owner, settings.cluster.leaseTtlMs);
    if (claim.status !== 'claimed') {
      log.info({ sid: job.sid, status: claim.status }, 'session not claimed');
      return 'taken';
    }
    const lease = { sid: job.sid, fence: claim.fence };
    await bus.post(job.gateway, { type: 'claimed', sid: job.sid, worker: bus.address, fence: claim.fence, proof: owner.proof });

    const session = new SshSession({
      job,
      lease,
      settings,
      bus,
      credentialsBox,
      proofs,
      destinations: this.destinations,
      hostKeys: this.parts.hostKeys,
      targetLock: this.parts.targetLock,
      log,
      onEnd: (ended, reason) => this.forget(ended, reason),
      countBytes: (direction, bytes) => metrics.countBytes(direction, bytes),
    });
    this.sessions.set(job.sid, session);
    this.updateCapacity();

    let credentials;
    try {
      credentials = credentialsSchema.parse(JSON.parse(credentialsBox.open(job.sealedCredentials, job.sid)));
    } catch {
      log.error({ sid: job.sid }, 'sealed credentials did not open: is WEBSSH2_SESSION_SECRET the same on every process?');
      await bus.post(job.gateway, { type: 'auth-result', sid: job.sid, success: false, message: 'Internal error: credentials could not be read' });
      session.end('credentials unreadable', false);
      metrics.loginFinished(takenAt, 'other');
      return 'taken';
    }
    metrics.loginFinished(takenAt, await session.login(credentials));
    return 'taken';
  }

  private forget(session: SshSession, reason: string): void {
    if (this.sessions.get(session.sid) !== session) return;
    this.sessions.delete(session.sid);
    this.updateCapacity();
    if (this.sessions.size === 0) this.drained?.();
    this.parts.store.release(this.address, session.lease, reason).catch((error: Error) => {
      this.parts.log.warn({ sid: session.sid, err: error.message }, 'could not release the session lease');
    });
  }

  private updateCapacity(): void {
    const free = this.accepting ? this.parts.settings.cluster.workerMaxSessions - this.sessions.size : 0;
    this.parts.placement.setFreeSlots(free);
  }

  private async renewLeases(): Promise<void> {
    const { store, settings, proofs, log } = this.parts;
    const sessions = [...this.sessions.values()];
    try {
      const statuses = await store.renew(this.address, sessions.map((s) => s.lease), settings.cluster.leaseTtlMs);
      const reinstated: Array<Promise<unknown>> = [];
      statuses.forEach((status, index) => {
        const session = sessions[index]!;
        if (status === 'lost') session.end('lease lost to another worker', true);
        // Redis forgot the session (restarted empty): it is alive here, so put it back.
        if (status === 'gone') {
          const owner = { inbox: this.address, proof: proofs.owner(session.sid, this.address) };
          reinstated.push(store.reinstate(session.record, session.lease, owner, settings.cluster.leaseTtlMs));
        }
      });
      await Promise.all(reinstated);
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'lease renewal failed; will retry');
    }
  }
}
