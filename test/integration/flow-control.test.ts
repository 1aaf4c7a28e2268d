/**
 * End-to-end flow control (session-extension.md rule 5) with `yes` flooding
 * the terminal: whether the client stops acknowledging or, never having
 * acknowledged anything (a stock client), stops reading its socket, the
 * remote program is stopped by SSH flow control, memory in gateway, worker
 * and Redis stays bounded, and Ctrl-C takes effect at once.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ResumingClient } from '../harness/resuming-client.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

const MiB = 1024 * 1024;
/** Growth allowed while flooding: far above the 2 MiB window, far below an unbounded buffer. */
const RSS_BOUND = 64 * MiB;
const REDIS_BOUND = 16 * MiB;
const FLOOD_MS = 5_000;

let sshd: SshdHandle;
let fleet: Fleet;
let redis: Redis;
beforeAll(async () => {
  sshd = await startSshd();
  fleet = await startFleet('cluster', { gateways: 1, workers: 1 });
  redis = new Redis(fleet.redis!.url);
});
afterAll(async () => {
  redis?.disconnect();
  await fleet?.stop();
  await sshd?.stop();
});

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const redisMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
async function memory() {
  return { gateway: rssOf(fleet.gateways[0]!.pid), worker: rssOf(fleet.workers[0]!.pid), redis: await redisMemory() };
}

async function floodingShell(acks: boolean): Promise<{ client: ResumingClient; text: () => string }> {
  let tail = '';
  const client = new ResumingClient({ urls: fleet.urls, acks, onOutput: (chunk) => (tail = (tail + chunk.toString('latin1')).slice(-4096)) });
  await client.start({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });
  await client.until(() => /\$ $/.test(tail), 10_000, 'the prompt');
  return { client, text: () => tail };
}

async function expectBoundedWhileFlooding(describeStall: () => string): Promise<Record<string, number>> {
  const before = await memory();
  let peak = before;
  const until = Date.now() + FLOOD_MS;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await memory();
    peak = { gateway: Math.max(peak.gateway, now.gateway), worker: Math.max(peak.worker, now.worker), redis: Math.max(peak.redis, now.redis) };
  }
  const growth = { gateway: peak.gateway - before.gateway, worker: peak.worker - before.worker, redis: peak.redis - before.redis };
  console.log(`${describeStall()}: peak growth gateway ${(growth.gateway / MiB).toFixed(1)} MiB, worker ${(growth.worker / MiB).toFixed(1)} MiB, redis ${(growth.redis / MiB).toFixed(1)} MiB`);
  expect(growth.gateway).toBeLessThan(RSS_BOUND);
  expect(growth.worker).toBeLessThan(RSS_BOUND);
  expect(growth.redis).toBeLessThan(REDIS_BOUND);
  return growth;
}

async function expectCtrlCStopsOutput(client: ResumingClient, text: () => string): Promise<void> {
  const sentAt = Date.now();
  const receivedAtCtrlC = client.outputOffset;
  client.type('\x03');
  await client.until(() => /\^C[\s\S]*\$ $/.test(text()), 2_000, 'the prompt after Ctrl-C');
  console.log(`Ctrl-C: prompt after ${Date.now() - sentAt} ms and ${((client.outputOffset - receivedAtCtrlC) / MiB).toFixed(2)} MiB of output`);
}

describe('flow control', () => {
  it('stops the remote program when an acknowledging client stops acknowledging', async () => {
    const { client, text } = await floodingShell(true);
    client.type('yes\r');
    await client.until(() => client.outputOffset > 8 * MiB, 20_000, 'a flood of output');
    // From here on the client reads but never acknowledges.
    (client as unknown as { options: { acks: boolean } }).options.acks = false;
    const stalledAt = client.outputOffset;
    await expectBoundedWhileFlooding(() => 'acknowledging client stopped acking');
    // The window (2 MiB) plus what was in flight is all that arrived.
    expect(client.outputOffset - stalledAt).toBeLessThan(4 * MiB);
    (client as unknown as { options: { acks: boolean } }).options.acks = true;
    client.socket.emit('session:ack', { offset: client.outputOffset });
    await expectCtrlCStopsOutput(client, text);
    client.close();
  });

  it('stops the remote program when a stock client (no acks) stops reading its socket', async () => {
    const { client, text } = await floodingShell(false);
    client.type('yes\r');
    await client.until(() => client.outputOffset > 8 * MiB, 20_000, 'a flood of output');
    const tcp = (client.socket.io.engine.transport as unknown as { ws: { _socket: { pause(): void; resume(): void } } }).ws._socket;
    tcp.pause();
    const stalledAt = client.outputOffset;
    await expectBoundedWhileFlooding(() => 'stock client stopped reading');
    tcp.resume();
    // What sat in the kernel's socket buffers (autotuned to several MiB each
    // way on loopback), the window and one Engine.IO batch: not the flood,
    // which is over 100 MiB in those seconds without flow control.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(client.outputOffset - stalledAt).toBeLessThan(48 * MiB);
    await expectCtrlCStopsOutput(client, text);
    client.close();
  });
});
