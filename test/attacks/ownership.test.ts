/**
 * Issue 10, item 3: session ownership cannot be taken through Redis alone.
 * An attacker here can read and write the cluster's Redis but does not hold
 * WEBSSH2_SESSION_SECRET. Every attempt to move a session to an inbox of
 * its own (a forged or replayed `attach` to the worker, a forged `claimed`
 * to the gateway, a session record with another owner or a copied token
 * hash) must leave that inbox empty and the victim's terminal working.
 * And the login password stays in a worker's memory only while
 * WEBSSH2_OPTIONS_ALLOW_REPLAY is on, shown on heap snapshots of the
 * running worker.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../shared/protocol/events.js';
import { EchoProbe } from '../harness/echo-probe.js';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { heapSnapshots } from '../harness/heap-snapshot.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startScriptedSshServer, type ScriptedServerHandle } from '../harness/scripted-ssh-server.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';
import { keyLayout } from '../../shared/bus/keys.js';

let sshd: SshdHandle;
let fleet: Fleet;
let redis: Redis;
const clients: ProtocolClient[] = [];
const ATTACKER = 'gw:attacker';

beforeAll(async () => {
  sshd = await startSshd();
  fleet = await startFleet('cluster', { gateways: 1, workers: 1 });
  redis = new Redis(fleet.redis!.url);
  // An inbox of the attacker's own, as a gateway's looks: whatever reaches it was stolen.
  await redis.xadd(inboxKey(ATTACKER), 'MAXLEN', '0', '*', 'v', '0');
});
afterAll(async () => {
  for (const client of clients) client.close();
  redis?.disconnect();
  await fleet?.stop();
  await sshd?.stop();
});

const inboxKey = (address: string) => `${fleet.prefix}:inbox:${address}`;
const credentials = () => ({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });
const stolen = () => redis.xlen(inboxKey(ATTACKER));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function shell(): Promise<{ client: ProtocolClient; info: SessionInfo }> {
  const client = await ProtocolClient.connect(fleet.urls[0]!);
  clients.push(client);
  await client.openShell(credentials());
  await client.waitForOutput(/\$ $/m);
  return { client, info: (await client.waitForEvent('session:info')) as SessionInfo };
}

/** A bus message written straight into an inbox, as the codec would (bus/codec.ts). */
async function forge(inbox: string, from: string, message: { type: string; sid: string } & Record<string, unknown>): Promise<void> {
  await redis.xadd(inboxKey(inbox), '*', 'v', '1', 't', message.type, 'f', from, 's', message.sid, 'b', JSON.stringify(message));
}

let echoes = 0;
async function expectStillMine(client: ProtocolClient): Promise<void> {
  const marker = `mine${++echoes}x`;
  client.type(`echo ${marker.slice(0, 3)}""${marker.slice(3)}\r`);
  await client.waitForOutput(new RegExp(`[\\r\\n]${marker}\\r\\n`), 10_000);
  expect(client.eventsNamed('session:detached')).toEqual([]);
}

describe('taking a session through Redis without the cluster secret', () => {
  let neighbour: EchoProbe;
  beforeAll(async () => {
    neighbour = new EchoProbe((await shell()).client, { boundMs: 1000 });
  });

  it('refuses attaches without a valid proof, and replays of a valid one', async () => {
    const { client: victim, info } = await shell();
    const attach = { type: 'attach', sid: info.sessionId, offset: 0, tokenHash: 'x', issuedAt: Date.now(), nonce: 'n-1', proof: 'A'.repeat(43) };
    await forge('worker:worker-0', ATTACKER, attach);
    const withoutProof: Record<string, unknown> & { type: string; sid: string } = { ...attach };
    delete withoutProof.proof;
    await forge('worker:worker-0', ATTACKER, withoutProof);

    // A real resume through the gateway, whose attach the attacker reads off the worker's inbox...
    const watcher = redis.duplicate();
    const captured = watcher.xread('BLOCK', 10_000, 'STREAMS', inboxKey('worker:worker-0'), '$');
    const resumer = await ProtocolClient.connect(fleet.urls[0]!);
    clients.push(resumer);
    resumer.socket.emit('session:resume', { sessionId: info.sessionId, resumeToken: info.resumeToken, offset: victim.output.length, inputOffset: 0 });
    await resumer.waitForEvent('session:resumed');
    const entry = ((await captured) ?? [])[0]?.[1].find(([, fields]) => fields[fields.indexOf('t') + 1] === 'attach');
    watcher.disconnect();
    expect(entry).toBeDefined();
    // ...and writes again, as its own and as the gateway's.
    const fields = entry![1];
    await redis.xadd(inboxKey('worker:worker-0'), '*', ...fields);
    const asAttacker = fields.map((value, i) => (fields[i - 1] === 'f' ? ATTACKER : value));
    await redis.xadd(inboxKey('worker:worker-0'), '*', ...asAttacker);

    await sleep(500);
    await expectStillMine(resumer);
    expect(await stolen()).toBe(0);
    const refusals = fleet.allLogs().filter((line) => line.includes('"event":"attach-refused"'));
    expect(refusals.some((line) => line.includes('"why":"forged"'))).toBe(true);
    expect(refusals.some((line) => line.includes('"why":"replayed"'))).toBe(true);
    console.log(`forged and replayed attaches: ${refusals.length} refused, attacker's inbox holds ${await stolen()} entries; neighbour echo ${Math.round(await neighbour.once())} ms`);
  });

  it('sends nothing to an owner the session record names without its proof, nor opens it with a copied token hash', async () => {
    const { client: victim, info } = await shell();
    const { info: attackersOwn } = await shell(); // a session of the attacker's, whose token it knows
    const record = keyLayout(fleet.prefix).session(info.sessionId);
    const genuine = await redis.hgetall(record);
    victim.socket.io.engine.close();
    await victim.waitForEvent('disconnect');
    const resumer = await ProtocolClient.connect(fleet.urls[0]!);
    clients.push(resumer);
    const resume = (token: string) => resumer.socket.emit('session:resume', { sessionId: info.sessionId, resumeToken: token, offset: victim.output.length, inputOffset: 0 });

    // The gateway refuses both forgeries on its own. The worker is held
    // still meanwhile: a heartbeat that found the record naming another
    // owner would rightly give the session up as lost (fencing), and on a
    // loaded machine the forgeries can outlast a heartbeat. Its lease
    // (8 s) outlasts the pause.
    const worker = fleet.workers[0]!;
    process.kill(worker.pid, 'SIGSTOP');
    try {
      await redis.hset(record, 'owner', 'worker:attacker');
      resume(info.resumeToken);
      expect(await resumer.waitForEvent('session:resume-failed')).toMatchObject({ reason: 'forbidden', message: 'The session record failed its integrity check' });

      await redis.hset(record, 'owner', genuine.owner!, 'tokenHash', (await redis.hget(keyLayout(fleet.prefix).session(attackersOwn.sessionId), 'tokenHash'))!);
      resume(attackersOwn.resumeToken);
      expect(await resumer.waitForEvent('session:resume-failed', () => true, 10_000, resumer.events.length)).toMatchObject({ reason: 'forbidden' });

      // Put back, the record opens for its own token again.
      await redis.hset(record, 'tokenHash', genuine.tokenHash!);
    } finally {
      process.kill(worker.pid, 'SIGCONT');
    }
    resume(info.resumeToken);
    await resumer.waitForEvent('session:resumed');
    await expectStillMine(resumer);
    expect(await stolen()).toBe(0);
  });

  it('ignores a forged claim while a login waits for a worker', async () => {
    const worker = fleet.workers[0]!;
    process.kill(worker.pid, 'SIGSTOP');
    const client = await ProtocolClient.connect(fleet.urls[0]!);
    clients.push(client);
    let login: Promise<unknown>;
    try {
      await client.waitForEvent('authentication');
      login = client.login(credentials(), undefined, 30_000);
      let pending: string | undefined;
      for (const deadline = Date.now() + 10_000; !pending && Date.now() < deadline; await sleep(50)) {
        for (const key of await redis.keys(`${fleet.prefix}:session:*`)) if ((await redis.hget(key, 'state')) === 'pending') pending = /\{(.+)\}$/.exec(key)?.[1];
      }
      expect(pending).toBeDefined();
      await forge('gw:gateway-0', 'worker:attacker', { type: 'claimed', sid: pending!, worker: 'worker:attacker', fence: 1, proof: 'A'.repeat(43) });
      await sleep(300);
    } finally {
      process.kill(worker.pid, 'SIGCONT');
    }
    expect(await login).toEqual({ success: true });
    await client.waitForEvent('getTerminal');
    client.socket.emit('terminal', { cols: 80, rows: 24 });
    await client.waitForOutput(/\$ $/m);
    await expectStillMine(client);
    expect(await stolen()).toBe(0);
    expect(fleet.allLogs().some((line) => line.includes('"event":"forged-claim"'))).toBe(true);
  });
});

describe('the login password in worker memory', () => {
  let target: ScriptedServerHandle;
  beforeAll(async () => {
    target = await startScriptedSshServer('many-sessions');
  });
  afterAll(async () => {
    await target?.stop();
  });

  /** Logs in to a fresh cluster and searches a heap snapshot of its worker for the password. */
  async function passwordInWorkerHeap(allowReplay: boolean): Promise<boolean> {
    const snapshots = heapSnapshots();
    const cluster = await startFleet('cluster', { gateways: 1, workers: 1, env: { WEBSSH2_OPTIONS_ALLOW_REPLAY: String(allowReplay), ...snapshots.env } });
    try {
      const client = await ProtocolClient.connect(cluster.urls[0]!);
      clients.push(client);
      await client.openShell({ username: target.user, password: target.password, host: target.host, port: target.port });
      await client.waitForOutput('$ ');
      const snapshot = await snapshots.take(cluster.workers[0]!.pid);
      client.close();
      return snapshot.includes(target.password);
    } finally {
      await cluster.stop();
      snapshots.remove();
    }
  }

  it('is gone once the login is over when replay is off, and kept for the session when it is on', async () => {
    const withoutReplay = await passwordInWorkerHeap(false);
    const withReplay = await passwordInWorkerHeap(true);
    console.log(`password in the worker's heap after login: replay off ${withoutReplay}, replay on ${withReplay}`);
    expect(withoutReplay).toBe(false);
    // The control: the snapshot does show the password where it is meant to be kept.
    expect(withReplay).toBe(true);
  }, 120_000);
});
