/**
 * Sessions that survive (session-extension.md), proven on real processes: a
 * cluster of gateways and workers around a real redis-server and sshd, with
 * gateways SIGKILLed and SIGTERMed, sockets dropped, and workers killed and
 * drained.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { ResumingClient } from '../harness/resuming-client.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';
import { keyLayout } from '../../shared/bus/keys.js';

let sshd: SshdHandle;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});
const login = () => ({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });

/** Checks `seq 1 N` output line by line as it streams in. */
class SeqChecker {
  next = 1;
  done = false;
  problem: string | undefined;
  private started = false;
  private partial = '';

  constructor(private readonly last: number) {}

  feed(chunk: Buffer): void {
    const lines = (this.partial + chunk.toString('latin1')).split('\r\n');
    this.partial = lines.pop()!;
    for (const raw of lines) {
      if (this.done || this.problem) return;
      // As a terminal shows it: bash starts the output with ESC[?2004l\r.
      const line = raw.slice(raw.lastIndexOf('\r') + 1);
      if (!this.started) {
        if (line === '1') this.started = true;
        else continue;
      }
      if (line !== String(this.next)) {
        this.problem = `expected line ${this.next}, got ${JSON.stringify(line.slice(0, 40))}`;
        return;
      }
      if (this.next === this.last) this.done = true;
      this.next++;
    }
  }
}

describe('resume through any gateway', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet('cluster', { gateways: 4, workers: 1 });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('delivers seq 1..2000000 exactly once, in order, across SIGKILLs of three gateways', async () => {
    const total = 2_000_000;
    const checker = new SeqChecker(total);
    const client = new ResumingClient({ urls: fleet.urls, onOutput: (chunk) => checker.feed(chunk) });
    await client.start(login());
    await client.until(() => client.outputOffset > 0, 10_000, 'the prompt');
    // Kill points by output received; each victim is the gateway the client is on.
    const killAt = [1_000_000, 6_000_000, 12_000_000];
    const killed: number[] = [];
    client.type(`seq 1 ${total}\r`);
    for (const bytes of killAt) {
      await client.until(() => client.outputOffset >= bytes || checker.done, 60_000, `${bytes} bytes`);
      if (checker.done) break;
      const victim = fleet.urls.indexOf(client.url);
      killed.push(victim);
      client.moveToNextGateway();
      await fleet.gateways[victim]!.kill('SIGKILL');
      await client.until(() => client.events.filter((e) => e.type === 'resumed').length === killed.length, 15_000, 'resume');
    }
    await client.until(() => checker.done || checker.problem !== undefined, 120_000, 'the last line').catch((error: Error) => {
      throw new Error(`${error.message}\nreceived ${client.outputOffset} bytes, next line ${checker.next}\nworker: ${fleet.workers[0]!.logs.slice(-5).join('\n')}`);
    });
    expect(checker.problem).toBeUndefined();
    expect(checker.next).toBe(total + 1);
    expect(killed).toHaveLength(3);
    expect(client.errors).toEqual([]);
    client.close();
  }, 180_000);
});

describe('resume after drops and shutdowns', () => {
  let fleet: Fleet;
  let redis: Redis;
  beforeAll(async () => {
    fleet = await startFleet('cluster', { gateways: 3, workers: 1, env: { FLEET_DETACH_TIMEOUT_MS: '3000' } });
    redis = new Redis(fleet.redis!.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await fleet?.stop();
  });

  async function shell(): Promise<{ client: ResumingClient; text: () => string }> {
    let output = '';
    const client = new ResumingClient({ urls: fleet.urls, onOutput: (chunk) => (output += chunk.toString()) });
    await client.start(login());
    await client.until(() => /\$ $/.test(output), 10_000, 'the prompt');
    return { client, text: () => output };
  }

  it('resumes on the same gateway after a network drop, and delivers input typed during the outage once', async () => {
    const { client, text } = await shell();
    client.dropConnection();
    client.type('echo typed-during-""outage\r');
    await client.until(() => client.events.some((e) => e.type === 'resumed'), 10_000, 'resume');
    // The shell's output line (the echoed command line reads typed-during-""outage).
    await client.until(() => /\rtyped-during-outage\r\n/.test(text()), 10_000, 'the echo');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(text().match(/\rtyped-during-outage\r\n/g)).toHaveLength(1);
    expect(client.errors).toEqual([]);
    client.close();
  });

  it('detaches the older socket when a newer one resumes the same session', async () => {
    const { client } = await shell();
    const intruder = await ProtocolClient.connect(fleet.urls.find((url) => url !== client.url)!);
    intruder.socket.emit('session:resume', { sessionId: client.info!.sessionId, resumeToken: client.info!.resumeToken, offset: client.outputOffset, inputOffset: 0 });
    await intruder.waitForEvent('session:resumed');
    await client.until(() => client.events.some((e) => e.type === 'detached' && e.reason === 'taken-over'), 10_000, 'taken-over');
    intruder.close();
  });

  it('refuses resumes with the spec reasons, and keeps the token valid after a refused offset', async () => {
    const { client } = await shell();
    const info = client.info!;
    const probe = await ProtocolClient.connect(fleet.urls[0]!);
    const attempt = async (request: Partial<{ sessionId: string; resumeToken: string; offset: number; inputOffset: number }>) => {
      const from = probe.events.length;
      probe.socket.emit('session:resume', { sessionId: info.sessionId, resumeToken: info.resumeToken, offset: client.outputOffset, inputOffset: 0, ...request });
      return probe.waitForEvent('session:resume-failed', () => true, 10_000, from);
    };
    expect(await attempt({ sessionId: '00000000-0000-0000-0000-000000000000' })).toMatchObject({ reason: 'unknown' });
    expect(await attempt({ resumeToken: 'A'.repeat(43) })).toMatchObject({ reason: 'forbidden' });
    expect(await attempt({ offset: client.outputOffset + 1_000 })).toMatchObject({ reason: 'forbidden' });
    // The refused offset put the token back: the owner can still resume with it.
    client.dropConnection();
    await client.until(() => client.events.some((e) => e.type === 'resumed'), 10_000, 'resume');
    // ...which rotated it: once the client has shown it holds the new one
    // (a heartbeat round trip after session:info), the old one no longer works.
    await expect.poll(() => redis.hexists(keyLayout(fleet.prefix).session(info.sessionId), 'priorTokenHash'), { timeout: 5_000 }).toBe(0);
    expect(await attempt({ resumeToken: info.resumeToken })).toMatchObject({ reason: 'forbidden' });
    expect(client.info!.resumeToken).not.toBe(info.resumeToken);
    probe.close();
    client.close();
  });

  it('ends the session when the client says goodbye; a later resume is told it expired', async () => {
    const { client } = await shell();
    const { sessionId, resumeToken } = client.info!;
    const offset = client.outputOffset;
    client.close();
    await expect.poll(() => redis.exists(keyLayout(fleet.prefix).session(sessionId)), { timeout: 5_000 }).toBe(0);
    const probe = await ProtocolClient.connect(fleet.urls[1]!);
    probe.socket.emit('session:resume', { sessionId, resumeToken, offset, inputOffset: 0 });
    expect(await probe.waitForEvent('session:resume-failed')).toMatchObject({ reason: 'expired', message: expect.stringContaining('client disconnected') });
    probe.close();
  });

  it('keeps a dropped session for the detach timeout, then ends it and removes its record', async () => {
    const { client } = await shell();
    const { sessionId, resumeToken } = client.info!;
    const offset = client.outputOffset;
    (client as unknown as { closedForGood: boolean }).closedForGood = true; // no automatic resume
    client.dropConnection();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await redis.exists(keyLayout(fleet.prefix).session(sessionId))).toBe(1);
    await expect.poll(() => redis.exists(keyLayout(fleet.prefix).session(sessionId)), { timeout: 8_000 }).toBe(0);
    const probe = await ProtocolClient.connect(fleet.urls[2]!);
    probe.socket.emit('session:resume', { sessionId, resumeToken, offset, inputOffset: 0 });
    expect(await probe.waitForEvent('session:resume-failed')).toMatchObject({ reason: 'expired', message: expect.stringContaining('detached too long') });
    probe.close();
  });
  // Last in this block: it takes a gateway away from the tests after it.
  it('resumes elsewhere after its gateway is SIGTERMed, which tells the client and exits', async () => {
    const { client, text } = await shell();
    const victim = fleet.urls.indexOf(client.url);
    client.moveToNextGateway();
    const exit = fleet.gateways[victim]!.kill('SIGTERM');
    await client.until(() => client.events.some((e) => e.type === 'detached' && e.reason === 'gateway-shutdown'), 10_000, 'session:detached');
    await client.until(() => client.events.some((e) => e.type === 'resumed'), 10_000, 'resume');
    expect(await exit).toMatchObject({ code: 0 });
    client.type('echo after-""sigterm\r');
    await client.until(() => text().includes('after-sigterm\r\n'), 10_000, 'echo');
    client.close();
  });
});

describe('replay limits', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet('cluster', {
      gateways: 2,
      workers: 1,
      env: { FLEET_FLOW_HIGH_WATER_BYTES: '131072', FLEET_FLOW_LOW_WATER_BYTES: '32768', FLEET_REPLAY_BYTES: '131072' },
    });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('refuses a resume from an offset older than the replay buffer with offset-gone', async () => {
    const client = new ResumingClient({ urls: fleet.urls });
    await client.start(login());
    client.type('head -c 1000000 /dev/zero | base64 -w 76; echo done-""marker\r');
    await client.until(() => client.outputOffset > 1_000_000, 20_000, 'output');
    const probe = await ProtocolClient.connect(fleet.urls[1]!);
    probe.socket.emit('session:resume', { sessionId: client.info!.sessionId, resumeToken: client.info!.resumeToken, offset: 0, inputOffset: 0 });
    expect(await probe.waitForEvent('session:resume-failed')).toMatchObject({ reason: 'offset-gone' });
    probe.close();
    client.close();
  });
});

describe('worker lifecycle', () => {
  let fleet: Fleet;
  let redis: Redis;
  beforeAll(async () => {
    fleet = await startFleet('cluster', { gateways: 1, workers: 3, env: { FLEET_DRAIN_TIMEOUT_MS: '60000' } });
    redis = new Redis(fleet.redis!.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await fleet?.stop();
  });

  const workerOf = (sid: string) =>
    fleet.workers.findIndex((w) => w.logs.some((line) => line.includes(`"sid":"${sid}"`) && line.includes('"event":"session-start"')));

  async function shellClient(): Promise<ProtocolClient> {
    const client = await ProtocolClient.connect(fleet.urls[0]!);
    await client.openShell(login());
    await client.waitForOutput(/\$ $/m);
    return client;
  }

  it('drains on SIGTERM: its sessions keep working and are told, new ones go elsewhere, it exits when empty', async () => {
    const first = await shellClient();
    const second = await shellClient();
    const sid = (c: ProtocolClient) => (c.eventsNamed('session:info')[0] as { sessionId: string }).sessionId;
    const draining = workerOf(sid(first));
    const exited = fleet.workers[draining]!.kill('SIGTERM');
    await first.waitForEvent('updateUI', (m) => (m as { value: string }).value.includes('drained'));
    first.type('echo still-""serving\r');
    await first.waitForOutput('still-serving');
    const newcomers = [await shellClient(), await shellClient()];
    for (const client of newcomers) expect(workerOf(sid(client))).not.toBe(draining);
    for (const client of [first, second, ...newcomers]) {
      if (workerOf(sid(client)) === draining) client.type('exit\r');
    }
    expect(await exited).toMatchObject({ code: 0 });
    for (const client of [first, second, ...newcomers]) client.close();
  });

  it("drains through POST /drain (Kubernetes' preStop hook): answers when empty, and SIGTERM then exits at once", async () => {
    const client = await shellClient();
    const { sessionId } = client.eventsNamed('session:info')[0] as { sessionId: string };
    const worker = workerOf(sessionId);
    let answered = false;
    const drained = fetch(`${fleet.workerUrls[worker]}/drain`, { method: 'POST' }).then((response) => {
      answered = true;
      return response;
    });
    await client.waitForEvent('updateUI', (m) => (m as { value: string }).value.includes('drained'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBe(false); // a session is still open on it
    client.type('exit\r');
    expect((await drained).status).toBe(200);
    const stoppedAt = Date.now();
    expect(await fleet.workers[worker]!.kill('SIGTERM')).toMatchObject({ code: 0 });
    expect(Date.now() - stoppedAt).toBeLessThan(3_000);
    client.close();
  });

  it('tells the client within 15 s when its worker is SIGKILLed, and leaves nothing without a TTL', async () => {
    const client = await shellClient();
    const { sessionId } = client.eventsNamed('session:info')[0] as { sessionId: string };
    const victim = workerOf(sessionId);
    const killedAt = Date.now();
    await fleet.workers[victim]!.kill('SIGKILL');
    const closed = await client.waitForEvent('session:closed', () => true, 15_000);
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(closed).toMatchObject({ reason: expect.stringMatching(/worker .*stopped unexpectedly/) });
    await client.waitForEvent('ssherror');
    for (const key of await redis.keys(`${fleet.prefix}:*`)) {
      if (key.includes(sessionId) || key.includes(`worker-${victim}`)) expect(await redis.pttl(key), key).toBeGreaterThan(0);
    }
  });
});
