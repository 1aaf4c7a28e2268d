/**
 * ioredis clients with the options every role needs: commands wait (rather
 * than fail) while Redis is briefly away, reconnects back off up to two
 * seconds, and BullMQ's blocking clients get the `maxRetriesPerRequest: null`
 * it requires.
 */
import { Redis, type RedisOptions } from 'ioredis';

export function connectRedis(url: string, connectionName: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    connectionName,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    ...extra,
  });
}
