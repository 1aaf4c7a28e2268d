/**
 * Property-based fuzzing (fast-check) of every inbound event against a live
 * cluster gateway: wrong types, missing fields, huge strings, deep nesting,
 * `__proto__` / `constructor` keys, unknown events, events out of order and
 * in bursts; and of every HTTP route (test/harness/hostile-http.ts): any
 * method, mangled paths, queries, headers and bodies. Throughout, the
 * gateway stays up, the fuzzing socket or request is answered with clear
 * errors, and a healthy session on the same gateway keeps echoing.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { describeRequest, hostileRequest, sendHostile, type HostileAnswer, type HostileRequest } from '../harness/hostile-http.js';
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
    // SSO on and a strict origin list, so the fuzzer reaches the SSO and foreign-origin branches of the login routes.
    fleet = await startFleet('cluster', { gateways: 1, workers: 1, env: { WEBSSH2_SSO_ENABLED: 'true', WEBSSH2_HTTP_ORIGINS: '127.0.0.1:*' } });
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

  it('answers any HTTP request on any route without a 5xx or an echoed password, and the neighbour keeps working', async () => {
    const base = fleet.urls[0]!;
    const page = await (await fetch(`${base}/ssh`)).text();
    const assets = [...page.matchAll(/(?:src|href)="\/ssh\/assets\/([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(0);
    const target = { baseUrl: base, sshHost: sshd.host, sshPort: sshd.port, assets };
    const answered: Array<{ request: HostileRequest; answer: HostileAnswer }> = [];

    await fc.assert(
      fc.asyncProperty(hostileRequest(target), async (request) => {
        const what = describeRequest(request);
        const answer = await sendHostile(base, request, 10_000); // rejects on a reset connection or no answer
        expect(answer.status, what).toBeGreaterThanOrEqual(200);
        expect(answer.status, `${what}\n-> ${answer.body.slice(0, 300)}`).toBeLessThan(500);
        if (request.method === 'HEAD') expect(answer.body, what).toBe('');
        // Socket.IO's own errors under its path are `{code, message}`; everything else of ours says `error`.
        const ours = !request.target.startsWith('/ssh/socket.io/');
        if (ours && answer.status >= 400 && request.method !== 'HEAD' && /^content-type: application\/json/m.test(answer.headerText)) {
          expect(typeof (JSON.parse(answer.body) as { error?: unknown }).error, `${what}\n-> ${answer.body.slice(0, 300)}`).toBe('string');
        }
        expect(`${answer.headerText}\n${answer.body}`, what).not.toContain(request.password);
        answered.push({ request, answer });
      }),
      { numRuns: 200, interruptAfterTimeLimit: 60_000 },
    );

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(() => process.kill(fleet.gateways[0]!.pid, 0)).not.toThrow(); // still running
    await expectHealthySessionEchoes();
    const logs = fleet.allLogs();
    expect(logs.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
    const passwords = new Set(answered.map(({ request }) => request.password));
    expect(logs.filter((line) => [...passwords].some((password) => line.includes(password)))).toEqual([]);
    // The fuzzer reached past the parsers: credentials were handed off, and each kind of refusal was given.
    const statuses = new Set(answered.map(({ answer }) => answer.status));
    expect(answered.some(({ answer }) => answer.status === 200 && answer.headerText.includes('set-cookie: wsf_handoff='))).toBe(true);
    for (const status of [400, 401, 404]) expect(statuses, `status ${status} among ${[...statuses].join(',')}`).toContain(status);
  }, 120_000);

  // Socket.IO answers only /ssh/socket.io/...; its look-alikes must not be left hanging.
  it('answers look-alikes of the Socket.IO path instead of holding them open', async () => {
    for (const path of ['/ssh/socket.io', '/ssh/socket.io.js', '/ssh/socket.iox?EIO=4&transport=websocket']) {
      const response = await fetch(`${fleet.urls[0]!}${path}`, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
      expect(response.status, path).toBeLessThan(500);
    }
  });
});
