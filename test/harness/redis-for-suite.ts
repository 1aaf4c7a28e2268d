/**
 * A redis-server of the suite's own, started before its tests and stopped
 * after them, and a client connected to it. Call at the top of a test file;
 * read `suite.redis` inside tests.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startRedis, type RedisHandle } from './redis-server.js';

export interface SuiteRedis {
  readonly redis: Redis;
  readonly server: RedisHandle;
}

export function redisForSuite(): SuiteRedis {
  let server: RedisHandle | undefined;
  let redis: Redis | undefined;
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('redisForSuite: read before the suite started');
    return value;
  };
  return {
    get redis() {
      return started(redis);
    },
    get server() {
      return started(server);
    },
  };
}
