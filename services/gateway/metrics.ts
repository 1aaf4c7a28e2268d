/**
 * The gateway's Prometheus metrics. Gauges are read when scraped (the
 * placement queue's depth is one Redis call per scrape); counters and
 * histograms are updated where things happen, in O(1).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BusMetrics } from '../../shared/metrics/bus-metrics.js';
import type { ResumeFailureReason } from '../../shared/protocol/events.js';

export interface GatewayMetricSources {
  sockets(): number;
  sessions(): number;
  placementWaiting(): Promise<number>;
}

export class GatewayMetrics {
  private readonly logins: Counter<'outcome'>;
  private readonly resumes: Counter<'outcome'>;
  private readonly outputBytes: Counter;
  private readonly limitRefusals: Counter<'limit'>;

  constructor(
    registry: Registry,
    private readonly bus: BusMetrics,
    sources: GatewayMetricSources,
  ) {
    const registers = [registry];
    new Gauge({ name: 'webssh_fleet_gateway_sockets', help: 'Browser sockets open on this gateway', registers, collect() { this.set(sources.sockets()); } });
    new Gauge({ name: 'webssh_fleet_gateway_sessions', help: 'Sessions this gateway carries (logging in, resuming or live)', registers, collect() { this.set(sources.sessions()); } });
    new Gauge({
      name: 'webssh_fleet_placement_queue_waiting',
      help: 'New sessions waiting for a worker with room (the BullMQ wait list)',
      registers,
      async collect() {
        this.set(await sources.placementWaiting());
      },
    });
    this.logins = new Counter({ name: 'webssh_fleet_logins_total', help: 'Login results sent to browsers', labelNames: ['outcome'], registers });
    this.resumes = new Counter({ name: 'webssh_fleet_resumes_total', help: 'Resume attempts by outcome', labelNames: ['outcome'], registers });
    this.outputBytes = new Counter({ name: 'webssh_fleet_gateway_output_bytes_total', help: 'Shell output bytes sent to browsers', registers });
    this.limitRefusals = new Counter({
      name: 'webssh_fleet_limit_refusals_total',
      help: 'Refusals by an abuse limit: logins, sockets over the per-address cap or the auth timeout, events over the rate (dropped or closed)',
      labelNames: ['limit'],
      registers,
    });
  }

  loginFinished(success: boolean): void {
    this.logins.inc({ outcome: success ? 'success' : 'failure' });
  }

  limitHit(limit: 'login' | 'sockets' | 'auth-timeout' | 'events-dropped' | 'events-closed'): void {
    this.limitRefusals.inc({ limit });
  }

  resumeFinished(outcome: 'resumed' | ResumeFailureReason): void {
    this.resumes.inc({ outcome });
  }

  relayed(sentAt: number | undefined): void {
    this.bus.relayed('to_gateway', sentAt);
  }

  outputSent(bytes: number): void {
    this.outputBytes.inc(bytes);
  }
}
