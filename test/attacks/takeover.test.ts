/**
 * Issue 10, item 2: the newest socket wins, on the same gateway too. A
 * session resumed through the gateway that carries its old socket (in the
 * all-in-one process, every resume does) takes the session from that socket
 * at once: it is told `session:detached {reason:'taken-over'}`, loses every
 * control, and its goodbye afterwards neither freezes nor ends the session.
 * A resume whose socket drops half-way leaves the session resumable with the
 * token its client still holds. A neighbour echoes throughout.
 */
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../shared/protocol/events.js';
import { EchoProbe } from '../harness/echo-probe.js';
import type { Fleet } from '../harness/fleet.js';
import type { ProtocolClient } from '../harness/protocol-client.js';
import { sshdAndFleets } from '../harness/sshd-and-fleets.js';
import { keyLayout } from '../../shared/bus/keys.js';

const parts = sshdAndFleets({ gateways: 1, workers: 1 });
const credentials = () => parts.credentials();
const connect = (fleet: Fleet) => parts.connect(fleet.urls[0]!);

async function shell(fleet: Fleet): Promise<{ client: ProtocolClient; info: SessionInfo }> {
  const client = await connect(fleet);
  await client.openShell(credentials());
  await client.waitForOutput(/\$ $/m);
  return { client, info: client.eventsNamed('session:info')[0] as SessionInfo };
}

function resume(client: ProtocolClient, info: SessionInfo, offset: number, inputOffset = 0): void {
  client.socket.emit('session:resume', { sessionId: info.sessionId, resumeToken: info.resumeToken, offset, inputOffset });
}

describe.each(['all-in-one', 'cluster'] as const)('the newest socket wins on one gateway (%s)', (mode) => {
  let neighbour: ProtocolClient;
  let probe: EchoProbe;
  beforeAll(async () => {
    ({ client: neighbour } = await shell(parts.fleet(mode)));
    probe = new EchoProbe(neighbour, { boundMs: 1000 });
  });

  it('takes the session from the old socket at once; its later goodbye ends nothing', async () => {
    const fleet = parts.fleet(mode);
    const { client: old, info } = await shell(fleet);
    const typed = 'echo bef""ore\r';
    old.type(typed);
    await old.waitForOutput(/[\r\n]before\r\n/);

    const fresh = await connect(fleet);
    resume(fresh, info, old.output.length, Buffer.byteLength(typed));
    await fresh.waitForEvent('session:resumed');
    expect(await old.waitForEvent('session:detached')).toEqual({ reason: 'taken-over' });
    await old.waitForEvent('disconnect');

    // The old socket's goodbye came and went: the session is still live and carried by the new one.
    const newInfo = (await fresh.waitForEvent('session:info')) as SessionInfo;
    fresh.type('echo aft""er\r');
    await fresh.waitForOutput(/[\r\n]after\r\n/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    fresh.type('echo sti""ll\r');
    await fresh.waitForOutput(/[\r\n]still\r\n/);
    // The new token works (through a third socket, which takes over in turn)...
    const third = await connect(fleet);
    resume(third, newInfo, fresh.output.length);
    await third.waitForEvent('session:resumed');
    expect(await fresh.waitForEvent('session:detached')).toEqual({ reason: 'taken-over' });
    // ...and the tokens before it stop working: the first at once (it is
    // neither the newest nor the one just replaced), the second once the
    // third socket has shown it holds its own (a heartbeat after session:info).
    const stale = await connect(fleet);
    resume(stale, info, 0);
    expect(await stale.waitForEvent('session:resume-failed')).toMatchObject({ reason: 'forbidden' });
    if (fleet.redis) {
      const redis = new Redis(fleet.redis.url);
      await expect.poll(() => redis.hexists(keyLayout(fleet.prefix).session(info.sessionId), 'priorTokenHash'), { timeout: 5_000 }).toBe(0);
      redis.disconnect();
      resume(stale, newInfo, 0);
      expect(await stale.waitForEvent('session:resume-failed', () => true, 10_000, stale.events.length)).toMatchObject({ reason: 'forbidden' });
    }
    console.log(`[${mode}] takeover on one gateway: old socket detached and disconnected; neighbour echo ${Math.round(await probe.once())} ms`);
    third.close();
  });

  it('leaves the socket that carries the session in control when a resume of it is refused', async () => {
    const fleet = parts.fleet(mode);
    const { client: carrier, info } = await shell(fleet);
    const refused = await connect(fleet);
    resume(refused, info, carrier.output.length + 1_000_000);
    expect(await refused.waitForEvent('session:resume-failed')).toMatchObject({ reason: 'forbidden' });
    carrier.type('echo sti""ll-mine\r');
    await carrier.waitForOutput(/[\r\n]still-mine\r\n/);
    expect(carrier.eventsNamed('session:detached')).toEqual([]);
    expect(carrier.socket.connected).toBe(true);
  });

  it('keeps a session resumable with the old token when the resuming socket drops half-way', async () => {
    const fleet = parts.fleet(mode);
    const { client: first, info } = await shell(fleet);
    first.socket.io.engine.close(); // the network drops: the session waits for a resume
    await first.waitForEvent('disconnect');

    // In the cluster the worker is frozen, so the resume is certainly half-way
    // (token rotated, attach unanswered) when its socket drops; in the
    // all-in-one process the socket drops right after asking.
    const worker = mode === 'cluster' ? fleet.workers[0]! : undefined;
    if (worker) process.kill(worker.pid, 'SIGSTOP');
    try {
      const halfway = await connect(fleet);
      resume(halfway, info, first.output.length);
      if (worker) await new Promise((resolve) => setTimeout(resolve, 500));
      halfway.socket.io.engine.close();
      await halfway.waitForEvent('disconnect');
    } finally {
      if (worker) process.kill(worker.pid, 'SIGCONT');
    }

    const again = await connect(fleet);
    let answer: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      resume(again, info, first.output.length);
      answer = await again.waitForEvent('session:resume-failed', () => true, 2_000, again.events.length).catch(() => 'resumed');
      if (answer === 'resumed' || (answer as { reason: string }).reason !== 'busy') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(answer).toBe('resumed');
    await again.waitForEvent('session:resumed');
    again.type('echo bac""k\r');
    await again.waitForOutput(/[\r\n]back\r\n/);
    console.log(`[${mode}] resume dropped half-way: the old token resumed the session; neighbour echo ${Math.round(await probe.once())} ms`);
  });
});
