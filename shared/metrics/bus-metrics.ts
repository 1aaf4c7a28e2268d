/**
 * Metrics every role has, defined once per process (the all-in-one process
 * runs both roles on one registry): bus relay latency, Redis errors,
 * reconnects and failovers, messages the bus may have lost, and the
 * process's own (prom-client's defaults: memory by kind, heap spaces, GC,
 * event-loop lag), which tell retained memory from garbage not yet collected.
 */
import { collectDefaultMetrics, Counter, Histogram, type Registry } from 'prom-client';

export class BusMetrics {
  /** Pre-bound children: observed once per bus message. */
  private readonly relayLatency: Record<'to_gateway' | 'to_worker', Histogram.Internal<'direction'>>;
  private readonly redisErrors: Counter<'context'>;
  private readonly redisReconnects: Counter<'connection'>;
  private readonly redisFailovers: Counter;
  private readonly busLosses: Counter<'cause'>;

  constructor(registry: Registry) {
    collectDefaultMetrics({ register: registry });
    const relayLatency = new Histogram({
      name: 'webssh_fleet_relay_latency_seconds',
      help: 'From a message entering the bus to its handling by the reader (clocks of Redis and the reader)',
      labelNames: ['direction'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    });
    this.relayLatency = { to_gateway: relayLatency.labels('to_gateway'), to_worker: relayLatency.labels('to_worker') };
    this.redisErrors = new Counter({
      name: 'webssh_fleet_redis_errors_total',
      help: 'Redis connection and command errors',
      labelNames: ['context'],
      registers: [registry],
    });
    this.redisReconnects = new Counter({
      name: 'webssh_fleet_redis_reconnects_total',
      help: 'Connections to Redis that were lost and are back, by the connection\'s purpose',
      labelNames: ['connection'],
      registers: [registry],
    });
    this.redisFailovers = new Counter({
      name: 'webssh_fleet_redis_failovers_total',
      help: 'Times this process found a different Redis primary serving it than before (a Sentinel or Cluster failover)',
      registers: [registry],
    });
    this.busLosses = new Counter({
      name: 'webssh_fleet_bus_inbox_losses_total',
      help: "Times this process's inbox may have lost messages (recreated, or read again after a failed connection); its sessions then fill the gaps by their offsets",
      labelNames: ['cause'],
      registers: [registry],
    });
  }

  relayed(direction: 'to_gateway' | 'to_worker', sentAt: number | undefined): void {
    if (sentAt !== undefined) this.relayLatency[direction].observe(Math.max(0, Date.now() - sentAt) / 1000);
  }

  redisError(context: string): void {
    this.redisErrors.inc({ context });
  }

  redisReconnected(connection: string): void {
    this.redisReconnects.inc({ connection });
  }

  redisFailedOver(): void {
    this.redisFailovers.inc();
  }

  inboxMayHaveLost(cause: 'recreated' | 'reconnected'): void {
    this.busLosses.inc({ cause });
  }
}
