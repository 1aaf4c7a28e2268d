/**
 * Property-based fuzzing (fast-check) of every inbound event against a live
 * cluster gateway: wrong types, missing fields, huge strings, deep nesting,
 * `__proto__` / `constructor` keys, unknown events, events out of order and
 * in bursts. Throughout, the gateway stays up, the fuzzing socket is answered
 * with clear errors, and a healthy session on the same gateway keeps echoing.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

const EVENTS = ['authenticate', 'terminal', 'data', 'resize', 'control', 'prompt-response', 'exec', 'session:ack', 'session:resume'];

/** Values a hostile client can put in a Socket.IO event. */
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, 0, -1, Number.MAX_SAFE_INTEGER, 1e308, '', 'replayCredentials', 'reauth'),
    fc.integer(),
    fc.double(),
    fc.string(),
    fc.string({ minLength: 70_000, maxLength: 70_100 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'username', 'host', 'port', 'cols', 'rows', 'offset', 'sessionId', 'resumeToken', 'responses', 'command'), tie('value'), { maxKeys: 5 }),
    fc.record({ username: fc.string(), host: fc.string(), port: fc.oneof(fc.integer(), fc.string()), password: fc.string() }, { requiredKeys: [] }),
  ),
})).value;

/** 60 levels of nesting: deeper than any schema reads, shallower than the parser's limit. */
const deeplyNested = () => Array.from({ length: 60 }).reduce<unknown>((inner) => ({ a: [inner] }), 'leaf');

describe('hostile input against a live gateway', () => {
  let sshd: SshdHandle;
  let fleet: Fleet;
  let healthy: ProtocolClient;
  beforeAll(async () => {
    sshd = await startSshd();
    fleet = await startFleet('cluster', { gateways: 1, workers: 1 });
    healthy = await ProtocolClient.connect(fleet.urls[0]!);
    await healthy.openShell({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });
    await healthy.waitForOutput(/\$ $/m);
  });
  afterAll(async () => {
    healthy?.close();
    await fleet?.stop();
    await sshd?.stop();
  });

  let echoes = 0;
  async function expectHealthySessionEchoes(): Promise<void> {
    const marker = `alive-${++echoes}`;
    healthy.type(`echo ${marker.slice(0, 6)}""${marker.slice(6)}\r`);
    await healthy.waitForOutput(new RegExp(`\\r\\n${marker}\\r\\n|\\r${marker}\\r\\n`), 10_000);
  }

  it('answers any payload on any event with an error, never a crash, and the neighbour keeps working', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.oneof(fc.constantFrom(...EVENTS), fc.string({ maxLength: 20 })), fc.array(hostileValue, { maxLength: 3 })), { minLength: 1, maxLength: 12 }),
        async (events) => {
          const fuzzer = await ProtocolClient.connect(fleet.urls[0]!);
          const emitRaw = fuzzer.socket.emit.bind(fuzzer.socket) as (event: string, ...args: unknown[]) => void;
          for (const [event, args] of events) emitRaw(event, ...args);
          emitRaw('resize', deeplyNested());
          // The burst is answered (at least the nested resize is refused) and the socket stays usable.
          await fuzzer.waitForEvent('ssherror', (m) => typeof m === 'string' && m.startsWith('Invalid resize payload'), 10_000);
          expect(fuzzer.socket.connected).toBe(true);
          fuzzer.close();
        },
      ),
      { numRuns: 40, interruptAfterTimeLimit: 60_000 },
    );
    await expectHealthySessionEchoes();
    expect(() => process.kill(fleet.gateways[0]!.pid, 0)).not.toThrow(); // still running
    expect(fleet.allLogs().some((line) => line.includes('invalid event payload'))).toBe(true);
    expect(fleet.allLogs().filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
  }, 120_000);

  it('survives a burst of 2000 events from one socket', async () => {
    const burster = await ProtocolClient.connect(fleet.urls[0]!);
    const emitRaw = burster.socket.emit.bind(burster.socket) as (event: string, ...args: unknown[]) => void;
    for (let i = 0; i < 2000; i++) emitRaw(EVENTS[i % EVENTS.length]!, { garbage: i, __proto__: { polluted: true } });
    await burster.waitForEvent('ssherror');
    await expectHealthySessionEchoes();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    burster.close();
  });

  it('refuses a payload larger than the socket limit by closing only that socket', async () => {
    const flooder = await ProtocolClient.connect(fleet.urls[0]!);
    flooder.socket.emit('data', 'x'.repeat(2 * 1024 * 1024));
    await flooder.waitForEvent('disconnect', () => true, 10_000);
    await expectHealthySessionEchoes();
  });
});
