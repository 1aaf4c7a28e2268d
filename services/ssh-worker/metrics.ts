/**
 * The worker's Prometheus metrics. Gauges are read when scraped; counters
 * and histograms are updated where things happen, in O(1).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BusMetrics } from '../../shared/metrics/bus-metrics.js';
import type { LoginFailureReason } from './connect-errors.js';

export interface WorkerMetricSources {
  sessions(): number;
  draining(): boolean;
}

export class WorkerMetrics {
  private readonly setupSeconds: Histogram<'outcome'>;
  private readonly placementWaitSeconds: Histogram;
  private readonly loginFailures: Counter<'reason'>;
  /** Pre-bound children: the hot path skips label hashing. */
  private readonly bytesIn: Counter.Internal;
  private readonly bytesOut: Counter.Internal;
  private readonly drains: Counter;

  constructor(
    registry: Registry,
    private readonly bus: BusMetrics,
    sources: WorkerMetricSources,
  ) {
    const registers = [registry];
    new Gauge({ name: 'webssh_fleet_worker_sessions', help: 'SSH sessions this worker holds (logging in or live)', registers, collect() { this.set(sources.sessions()); } });
    new Gauge({ name: 'webssh_fleet_worker_draining', help: '1 while this worker drains (takes no new sessions)', registers, collect() { this.set(sources.draining() ? 1 : 0); } });
    this.setupSeconds = new Histogram({
      name: 'webssh_fleet_session_setup_seconds',
      help: 'From taking a placement job to the login result (includes time users spend on prompts)',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 120],
      registers,
    });
    this.placementWaitSeconds = new Histogram({
      name: 'webssh_fleet_placement_wait_seconds',
      help: 'Time a new session waited in the placement queue before a worker took it',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers,
    });
    this.loginFailures = new Counter({ name: 'webssh_fleet_login_failures_total', help: 'Failed SSH logins by reason', labelNames: ['reason'], registers });
    const sessionBytes = new Counter({ name: 'webssh_fleet_session_bytes_total', help: 'Terminal bytes: in = typed into SSH, out = shell output', labelNames: ['direction'], registers });
    this.bytesIn = sessionBytes.labels('in');
    this.bytesOut = sessionBytes.labels('out');
    this.drains = new Counter({ name: 'webssh_fleet_worker_drains_total', help: 'Drains started (SIGTERM)', registers });
  }

  placementWaited(enqueuedAt: number): void {
    this.placementWaitSeconds.observe(Math.max(0, Date.now() - enqueuedAt) / 1000);
  }

  loginFinished(startedAt: number, failure: LoginFailureReason | undefined): void {
    this.setupSeconds.observe({ outcome: failure ? 'failure' : 'success' }, (Date.now() - startedAt) / 1000);
    if (failure) this.loginFailures.inc({ reason: failure });
  }

  countBytes(direction: 'in' | 'out', bytes: number): void {
    (direction === 'in' ? this.bytesIn : this.bytesOut).inc(bytes);
  }

  drainStarted(): void {
    this.drains.inc();
  }

  relayed(sentAt: number | undefined): void {
    this.bus.relayed('to_worker', sentAt);
  }
}
