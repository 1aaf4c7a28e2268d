/**
 * SshSession on the in-memory bus against a real ssh2 server: the worker's
 * half of the contract seen from the gateways' inboxes. The "gateways" here
 * are plain inboxes that record what arrives and post what a gateway would.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBusHub } from '../../shared/bus/memory-bus.js';
import type { Bus } from '../../shared/bus/bus.js';
import { isToWorker, type InboxAddress, type ToGateway, type ToWorker } from '../../shared/bus/messages.js';
import { loadConfig } from '../../shared/config/load.js';
import { MemoryHostKeyStore } from '../../shared/host-key-store/memory-host-key-store.js';
import { MemoryAttemptSlots } from '../../shared/limits/attempt-slots.js';
import { createLogger } from '../../shared/log/logger.js';
import { secretKeys } from '../../shared/process/startup.js';
import { DestinationPolicy } from '../../services/ssh-worker/destination-policy.js';
import { SshSession } from '../../services/ssh-worker/ssh-session.js';
import { SlotTargetLock, targetLockPolicy } from '../../services/ssh-worker/target-lock.js';
import { startScriptedSshServer, type ScriptedServerHandle } from '../harness/scripted-ssh-server.js';
import { waitFor } from '../harness/wait-for.js';

const config = loadConfig({
  WEBSSH2_SESSION_SECRET: 'ssh-session-unit-test-secret-0123456789',
  WEBSSH2_SSH_ALLOWED_SUBNETS: '127.0.0.1/32',
  WEBSSH2_SSH_HOSTKEY_ENABLED: 'false',
  WEBSSH2_OPTIONS_ALLOW_REPLAY: 'true',
  FLEET_DETACH_TIMEOUT_MS: '300',
  LOG_LEVEL: 'silent',
});
const keys = secretKeys(config.session.secret);
const log = createLogger({ role: 'test', instanceId: 'unit', level: 'silent' });

/** A gateway inbox that records what the worker posts to it. */
class GatewayInbox {
  readonly received: ToGateway[] = [];
  readonly bus: Bus<ToWorker>;

  constructor(hub: MemoryBusHub, readonly address: `gw:${string}`) {
    this.bus = hub.connect<ToWorker>(address);
    this.bus.listen(({ message }) => this.received.push(message as ToGateway));
  }

  of<T extends ToGateway['type']>(type: T): Array<Extract<ToGateway, { type: T }>> {
    return this.received.filter((m): m is Extract<ToGateway, { type: T }> => m.type === type);
  }

  /** The shell output received, in offset order, as text (gaps and overlaps fail the test). */
  output(): string {
    let expected = this.of('output')[0]?.offset ?? 0;
    const parts: Buffer[] = [];
    for (const { offset, data } of this.of('output')) {
      expect(offset).toBe(expected);
      expected += data.length;
      parts.push(data);
    }
    return Buffer.concat(parts).toString();
  }

  send(worker: InboxAddress, message: ToWorker): Promise<boolean> {
    return this.bus.post(worker, message);
  }
}

let target: ScriptedServerHandle;
const open: SshSession[] = [];

beforeAll(async () => {
  target = await startScriptedSshServer('many-sessions');
});
afterAll(async () => {
  await target.stop();
});
afterEach(() => {
  for (const session of open.splice(0)) session.end('test over', false);
});

async function startSession(sid: string) {
  const hub = new MemoryBusHub();
  const gateway = new GatewayInbox(hub, 'gw:a');
  const workerBus = hub.connect<ToGateway>('worker:w');
  const ended: string[] = [];
  const session = new SshSession({
    job: {
      sid,
      gateway: gateway.address,
      username: target.user,
      host: target.host,
      port: target.port,
      term: 'xterm-256color',
      cols: 80,
      rows: 24,
      forwardAllPrompts: false,
      sealedCredentials: '',
      tokenHash: 'token-hash-0',
      enqueuedAt: Date.now(),
      deadline: Date.now() + 10_000,
    },
    lease: { sid, fence: 1 },
    settings: config,
    bus: workerBus,
    credentialsBox: keys.credentialsBox,
    proofs: keys.proofs,
    destinations: new DestinationPolicy(config.ssh),
    hostKeys: new MemoryHostKeyStore(16),
    targetLock: new SlotTargetLock(new MemoryAttemptSlots(targetLockPolicy(config))),
    log,
    onEnd: (_session, reason) => ended.push(reason),
    countBytes: () => {},
  });
  open.push(session);
  workerBus.listen(({ message, from }) => {
    if (isToWorker(message)) session.handle(message, from);
  });
  const send = (message: ToWorker, from: GatewayInbox = gateway) => from.send(workerBus.address, message);
  return { hub, gateway, session, send, ended, worker: workerBus.address };
}

async function loggedInShell(sid: string) {
  const rig = await startSession(sid);
  expect(await rig.session.login({ password: target.password })).toBeUndefined();
  await waitFor(() => rig.gateway.of('auth-result').length === 1, 'auth-result');
  expect(rig.gateway.of('auth-result')[0]).toMatchObject({ success: true });
  await rig.send({ type: 'terminal', sid, cols: 100, rows: 30 });
  return rig;
}

describe('SshSession', () => {
  it('types into the shell and posts its echo, numbered without gaps', async () => {
    const { gateway, send } = await loggedInShell('s-echo');
    await send({ type: 'input', sid: 's-echo', data: Buffer.from('hello\r') });
    await waitFor(() => gateway.output().includes('hello'), 'the echo of hello');
  });

  it('keeps input typed before the shell opened, in order', async () => {
    const rig = await startSession('s-ahead');
    await rig.session.login({ password: target.password });
    await rig.send({ type: 'input', sid: 's-ahead', data: Buffer.from('one ') });
    await rig.send({ type: 'input', sid: 's-ahead', data: Buffer.from('two\r') });
    await rig.send({ type: 'terminal', sid: 's-ahead', cols: 80, rows: 24 });
    await waitFor(() => rig.gateway.output().includes('one two'), 'the typed-ahead input, in order');
  });

  it('reports a wrong password as rejected credentials and ends', async () => {
    const rig = await startSession('s-wrong');
    expect(await rig.session.login({ password: 'not-the-password' })).toBe('auth');
    await waitFor(() => rig.gateway.of('auth-result').length === 1, 'auth-result');
    expect(rig.gateway.of('auth-result')[0]).toMatchObject({ success: false, credentialsRejected: true });
    expect(rig.ended).toEqual(['login failed: auth']);
  });

  it('goes to the gateway that attaches with a valid proof, and tells the previous one', async () => {
    const rig = await loggedInShell('s-move');
    await rig.send({ type: 'input', sid: 's-move', data: Buffer.from('before\r') });
    await waitFor(() => rig.gateway.output().includes('before'), 'the first echo');
    const offset = rig.gateway.output().length;

    const second = new GatewayInbox(rig.hub, 'gw:b');
    const claim = keys.proofs.attach({ sid: 's-move', gateway: second.address, offset: 0, tokenHash: 'token-hash-1' });
    await rig.send({ type: 'attach', ...claim }, second);
    await waitFor(() => second.of('attached').length === 1, 'attached on the new gateway');
    expect(second.of('attached')[0]).toMatchObject({ offset: 0 });
    await waitFor(() => rig.gateway.of('detached').length === 1, 'detached on the old gateway');
    expect(rig.session.record.tokenHash).toBe('token-hash-1');
    // Everything from offset 0 again, on the new gateway.
    await waitFor(() => second.output().length >= offset, 'the re-sent output');

    // The old gateway no longer drives the session.
    await rig.send({ type: 'input', sid: 's-move', data: Buffer.from('ignored\r') });
    await rig.send({ type: 'input', sid: 's-move', data: Buffer.from('after\r') }, second);
    await waitFor(() => second.output().includes('after'), 'the echo on the new gateway');
    expect(second.output()).not.toContain('ignored');
  });

  it('refuses an attach that is forged, replayed or ahead of the output', async () => {
    const rig = await loggedInShell('s-refuse');
    const thief = new GatewayInbox(rig.hub, 'gw:thief');
    const forged = { ...keys.proofs.attach({ sid: 's-refuse', gateway: 'gw:other', offset: 0, tokenHash: 'x' }) };
    await rig.send({ type: 'attach', ...forged }, thief);

    const good = keys.proofs.attach({ sid: 's-refuse', gateway: 'gw:a', offset: 0, tokenHash: 'token-hash-2' });
    await rig.send({ type: 'attach', ...good });
    await waitFor(() => rig.gateway.of('attached').length === 1, 'the genuine attach');
    await rig.send({ type: 'attach', ...good }, thief);
    await rig.send({ type: 'attach', ...good });

    const ahead = keys.proofs.attach({ sid: 's-refuse', gateway: thief.address, offset: 1_000_000, tokenHash: 'y' });
    await rig.send({ type: 'attach', ...ahead }, thief);
    await waitFor(() => thief.of('attach-failed').length === 1, 'attach-failed for the offset ahead');
    expect(thief.of('attach-failed')[0]).toMatchObject({ reason: 'forbidden' });
    // Messages reach the worker in the order they were posted: the ones before were refused.
    expect(thief.of('attached')).toEqual([]);
    expect(rig.gateway.of('attached')).toHaveLength(1);
    expect(rig.session.record.gateway).toBe('gw:a');
  });

  it('detaches when its gateway inbox is gone and ends when nobody resumes in time', async () => {
    const rig = await loggedInShell('s-orphan');
    await rig.gateway.bus.close();
    // Output that finds no inbox detaches the session.
    await rig.send({ type: 'input', sid: 's-orphan', data: Buffer.from('x\r') }).catch(() => {});
    await waitFor(() => rig.ended.length === 1, 'the end after the detach timeout', 5_000);
    expect(rig.ended).toEqual(['detached too long']);
  });

  it('closes with the exit code when the shell exits', async () => {
    const { gateway, send, ended } = await loggedInShell('s-exit');
    await send({ type: 'input', sid: 's-exit', data: Buffer.from('exit\r') });
    await waitFor(() => gateway.of('closed').length === 1, 'closed');
    expect(gateway.of('closed')[0]).toMatchObject({ exitCode: 0 });
    expect(ended).toHaveLength(1);
  });

  it('replays the stored password into the shell without moving the input offset', async () => {
    const rig = await startSession('s-replay');
    await rig.session.login({ password: target.password });
    // Before the shell is open there is nothing to type into, and the user is told.
    await rig.send({ type: 'replay-credentials', sid: 's-replay' });
    await waitFor(() => rig.gateway.of('ssherror').length === 1, 'the refusal');
    expect(rig.gateway.of('ssherror')[0]!.message).toBe('No active shell');

    await rig.send({ type: 'terminal', sid: 's-replay', cols: 80, rows: 24 });
    await rig.send({ type: 'input', sid: 's-replay', data: Buffer.from('\r') });
    await waitFor(() => rig.gateway.output().length > 0, 'the shell to open');
    await rig.send({ type: 'replay-credentials', sid: 's-replay' });
    await waitFor(() => rig.gateway.output().includes(target.password), 'the replayed password echoed');

    const second = new GatewayInbox(rig.hub, 'gw:b');
    await rig.send({ type: 'attach', ...keys.proofs.attach({ sid: 's-replay', gateway: second.address, offset: 0, tokenHash: 't' }) }, second);
    await waitFor(() => second.of('attached').length === 1, 'attached');
    expect(second.of('attached')[0]).toMatchObject({ inputOffset: 1, inputTaken: 1 });
  });
});
