/** The Redis-stream inbox bus against a real redis-server. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../shared/bus/bus.js';
import { keyLayout } from '../../shared/bus/keys.js';
import type { BusMessage, InboxAddress } from '../../shared/bus/messages.js';
import { RedisBus } from '../../shared/bus/redis-bus.js';
import { startRedis, type RedisHandle } from '../harness/redis-server.js';

let redisServer: RedisHandle;
const clients: Redis[] = [];
const buses: RedisBus<BusMessage>[] = [];
beforeAll(async () => {
  redisServer = await startRedis();
});
afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  clients.forEach((client) => client.disconnect());
  await redisServer?.stop();
});

const keys = keyLayout('bus');
function client(): Redis {
  const redis = new Redis(redisServer.url);
  clients.push(redis);
  return redis;
}
async function openBus(address: InboxAddress, inboxTtlMs = 10_000): Promise<RedisBus<BusMessage>> {
  const bus = new RedisBus<BusMessage>({ address, keys, commands: client(), reader: client(), inboxTtlMs });
  await bus.open();
  buses.push(bus);
  return bus;
}

describe('redis bus', () => {
  it('delivers messages to an inbox in the order they were posted', async () => {
    const [gateway, worker] = await Promise.all([openBus('gw:order'), openBus('worker:order')]);
    const received: Envelope[] = [];
    worker.listen((envelope) => received.push(envelope));
    for (let i = 0; i < 500; i++) {
      void gateway.post('worker:order', { type: 'input', sid: 's', data: Buffer.from(String(i)) });
    }
    await expect.poll(() => received.length, { timeout: 5_000 }).toBe(500);
    expect(received.map((e) => (e.message as { data: Buffer }).data.toString())).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
    expect(received[0]!.from).toBe('gw:order');
  });

  it('reports a message to an inbox that does not exist as undelivered, storing nothing', async () => {
    const gateway = await openBus('gw:lonely');
    expect(await gateway.post('worker:gone', { type: 'ack', sid: 's', offset: 1 })).toBe(false);
    expect(await client().exists(keys.inbox('worker:gone'))).toBe(0);
  });

  it('trims what its owner has read', async () => {
    const [gateway, worker] = await Promise.all([openBus('gw:trim'), openBus('worker:trim')]);
    let count = 0;
    worker.listen(() => count++);
    for (let i = 0; i < 2_000; i++) void gateway.post('worker:trim', { type: 'input', sid: 's', data: Buffer.alloc(512) });
    await expect.poll(() => count, { timeout: 5_000 }).toBe(2_000);
    await expect.poll(() => client().xlen(keys.inbox('worker:trim')), { timeout: 2_000 }).toBeLessThan(200);
  });

  it('keeps its inbox alive while open; after the owner is gone the inbox expires', async () => {
    const commands = client();
    const bus = new RedisBus<BusMessage>({ address: 'worker:mortal', keys, commands, reader: client(), inboxTtlMs: 600 });
    await bus.open();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await commands.exists(keys.inbox('worker:mortal'))).toBe(1);
    // A crash: the renewal stops without a goodbye.
    (bus as unknown as { renewTimer: NodeJS.Timeout }).renewTimer.unref();
    clearInterval((bus as unknown as { renewTimer: NodeJS.Timeout }).renewTimer);
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(await commands.exists(keys.inbox('worker:mortal'))).toBe(0);
  });

  it('drops entries it cannot decode and keeps reading', async () => {
    const worker = await openBus('worker:robust');
    const received: Envelope[] = [];
    const errors: string[] = [];
    worker.on('error', (error) => errors.push(error.message));
    worker.listen((envelope) => received.push(envelope));
    const raw = client();
    await raw.xadd(keys.inbox('worker:robust'), '*', 'v', '1', 't', 'nonsense', 'f', 'gw:x', 's', 's', 'b', '{}');
    const gateway = await openBus('gw:robust');
    await gateway.post('worker:robust', { type: 'ack', sid: 's', offset: 5 });
    await expect.poll(() => received.length, { timeout: 5_000 }).toBe(1);
    expect(errors.some((message) => message.includes('unknown bus message type'))).toBe(true);
  });
});
