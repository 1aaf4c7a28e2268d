/**
 * Inbound events per socket per second (rate-limiter-flexible, in memory:
 * a socket lives on one gateway). Past the limit events are dropped and the
 * client told; a socket that keeps sending at twice the limit is closed, so
 * one flooding client cannot starve the sessions that share its gateway.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Event, Socket } from 'socket.io';
import type { Logger } from '../../shared/log/logger.js';
import type { GatewayMetrics } from './metrics.js';

export function eventRateLimit(eventsPerSecond: number, log: Logger, metrics: Pick<GatewayMetrics, 'limitHit'>): (socket: Socket) => void {
  const limiter = new RateLimiterMemory({ points: eventsPerSecond, duration: 1, keyPrefix: 'socket-events' });
  return (socket) => {
    let warned = false;
    socket.use((packet: Event, next: (error?: Error) => void) => {
      limiter.consume(socket.id).then(
        () => {
          warned = false;
          next();
        },
        (rejection: unknown) => {
          if (!(rejection instanceof RateLimiterRes)) return next();
          if (rejection.consumedPoints >= 2 * eventsPerSecond) {
            metrics.limitHit('events-closed');
            log.warn({ socket: socket.id, event: packet[0] }, 'socket closed: event flood');
            socket.emit('ssherror', 'Too many events: connection closed');
            socket.disconnect(true);
          } else if (!warned) {
            warned = true;
            metrics.limitHit('events-dropped');
            log.warn({ socket: socket.id, event: packet[0] }, 'events dropped: over the per-socket rate');
            socket.emit('ssherror', `Too many events (over ${eventsPerSecond} per second); some were dropped`);
          }
        },
      );
    });
  };
}
