/**
 * What a process's Redis clients go through, told once for all of them: an
 * error is logged and counted, a connection that was lost and is back is
 * counted (`webssh_fleet_redis_reconnects_total`), and a failover (the
 * primary serving this process is another server than before) is logged and
 * counted (`webssh_fleet_redis_failovers_total`). ioredis reconnects by
 * itself; this only watches.
 */
import type { Logger } from '../log/logger.js';
import type { BusMetrics } from '../metrics/bus-metrics.js';
import { isCluster, type RedisClient } from './connection.js';

/** The servers a client writes to now: its one connection's peer, or a Cluster's masters. */
function primaries(client: RedisClient): string {
  if (isCluster(client)) {
    return client
      .nodes('master')
      .map((node) => `${node.options.host}:${node.options.port}`)
      .sort()
      .join(',');
  }
  const stream = client.stream as { remoteAddress?: string; remotePort?: number } | undefined;
  return stream?.remoteAddress ? `${stream.remoteAddress}:${stream.remotePort}` : '';
}

/**
 * Watches `clients` (by purpose); `primary` names the one whose primaries are
 * followed for failovers (one per process, so a failover counts once).
 */
export function watchRedisClients(clients: Record<string, RedisClient>, primary: string, metrics: BusMetrics, log: Logger): void {
  for (const [purpose, client] of Object.entries(clients)) {
    let lost = false;
    let serving = '';
    const noteServer = (): void => {
      if (purpose !== primary) return;
      const now = primaries(client);
      if (serving && now && now !== serving) {
        metrics.redisFailedOver();
        log.warn({ event: 'redis-failover', from: serving, to: now }, 'Redis failed over: another primary serves this process now');
      }
      if (now) serving = now;
    };
    client.on('error', (error: Error) => {
      metrics.redisError('connection');
      log.warn({ err: error.message, connection: purpose }, 'redis connection error');
    });
    client.on('close', () => {
      if (!lost) log.warn({ event: 'redis-lost', connection: purpose }, 'redis connection lost; reconnecting');
      lost = true;
    });
    client.on('ready', () => {
      if (lost) {
        lost = false;
        metrics.redisReconnected(purpose);
        log.info({ event: 'redis-back', connection: purpose }, 'redis connection back');
      }
      noteServer();
    });
    // A Cluster client stays ready while one of its nodes fails over; its slot map tells.
    if (isCluster(client)) {
      client.on('-node', () => {
        // Nodes come and go while the client first meets the cluster.
        if (client.status === 'ready') lost = true;
      });
      client.on('refresh', () => {
        if (lost) {
          lost = false;
          metrics.redisReconnected(purpose);
        }
        noteServer();
      });
    }
  }
}
