/**
 * The gateway's half of the contract, on the in-memory bus: a real Gateway
 * and real Socket.IO clients, with the worker played by the test. Each part
 * of a connection (browser events, the login, the resume, the terminal
 * streams) is driven through the socket and observed on the worker's inbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/load.js';
import type { SessionInfo } from '../../shared/protocol/events.js';
import { RESUME_ANSWER_TIMEOUT_MS } from '../../shared/protocol/limits.js';
import { startMemoryGateway, type MemoryGateway } from '../harness/memory-gateway.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { waitFor } from '../harness/wait-for.js';

const config = loadConfig({
  WEBSSH2_SESSION_SECRET: 'gateway-connection-unit-test-secret-0123',
  WEBSSH2_SSH_ALLOWED_SUBNETS: '127.0.0.1/32',
  LOG_LEVEL: 'silent',
});
const credentials = { username: 'user', password: 'pw', host: '127.0.0.1', port: 22 };

let rig: MemoryGateway;
beforeAll(async () => {
  rig = await startMemoryGateway(config);
});
afterAll(async () => {
  await rig.stop();
});

/** A client logged in through the gateway, with the worker's session id and the session info. */
async function liveSession() {
  const client = await ProtocolClient.connect(rig.url);
  await client.waitForEvent('authentication', (m) => (m as { action: string }).action === 'request_auth');
  client.socket.emit('authenticate', credentials);
  const job = await rig.worker.claimNext();
  await rig.worker.post(job.gateway, { type: 'auth-result', sid: job.sid, success: true });
  const info = (await client.waitForEvent('session:info')) as SessionInfo;
  await client.waitForEvent('getTerminal');
  return { client, sid: job.sid, gateway: job.gateway, info };
}

describe('gateway connection: login flow', () => {
  it('places the login, relays the prompt and seals its answers for the worker', async () => {
    const client = await ProtocolClient.connect(rig.url);
    await client.waitForEvent('authentication', (m) => (m as { action: string }).action === 'request_auth');
    client.socket.emit('authenticate', credentials);
    const job = await rig.worker.claimNext();
    expect(job).toMatchObject({ username: 'user', host: '127.0.0.1', port: 22 });
    expect(JSON.parse(rig.keys.credentialsBox.open(job.sealedCredentials, job.sid))).toMatchObject({ password: 'pw' });

    const prompt = { id: 'p1', type: 'input' as const, title: 'Two-factor', message: '', inputs: [{ id: 'otp', label: 'Code', type: 'password' as const, required: true }], buttons: [], autoFocus: true };
    await rig.worker.post(job.gateway, { type: 'prompt', sid: job.sid, prompt });
    await client.waitForEvent('prompt');
    client.socket.emit('prompt-response', { id: 'p1', action: 'submit', inputs: { otp: '123456' } });
    await waitFor(() => rig.worker.of('prompt-response').some((m) => m.sid === job.sid), 'the prompt answer on the worker');
    const answer = rig.worker.of('prompt-response').find((m) => m.sid === job.sid)!;
    expect(answer.promptId).toBe('p1');
    expect(JSON.parse(rig.keys.credentialsBox.open(answer.sealedAnswers!, job.sid))).toEqual(['123456']);

    await rig.worker.post(job.gateway, { type: 'auth-result', sid: job.sid, success: true });
    await client.waitForEvent('authentication', (m) => (m as { success?: boolean }).success === true);
    // WebSSH2's order after a login.
    const order = client.events.map((e) => e.event).filter((e) => ['session:info', 'permissions', 'getTerminal'].includes(e));
    expect(order).toEqual(['session:info', 'permissions', 'getTerminal']);
    client.close();
  });

  it('sends nothing to a worker whose claim has no valid proof', async () => {
    const client = await ProtocolClient.connect(rig.url);
    await client.waitForEvent('authentication', (m) => (m as { action: string }).action === 'request_auth');
    client.socket.emit('authenticate', credentials);
    await waitFor(() => rig.worker.jobs.length > 0, 'the job');
    const job = rig.worker.jobs[0]!;
    const impostor = rig.hub.connect<never>('worker:impostor');
    const reached: unknown[] = [];
    impostor.listen((envelope) => reached.push(envelope));
    await rig.worker.post(job.gateway, { type: 'claimed', sid: job.sid, worker: 'worker:impostor', fence: 1, proof: 'made-up' });
    // The real claim still counts, and the login goes on with the real worker.
    await rig.worker.claimNext();
    await rig.worker.post(job.gateway, { type: 'prompt', sid: job.sid, prompt: { id: 'p2', type: 'input', title: '', message: '', inputs: [], buttons: [], autoFocus: false } });
    await client.waitForEvent('prompt');
    client.socket.emit('prompt-response', { id: 'p2', action: 'submit', inputs: {} });
    await waitFor(() => rig.worker.of('prompt-response').some((m) => m.sid === job.sid), 'the answer on the real worker');
    expect(reached).toEqual([]);
    client.close();
  });

  it('answers a malformed authenticate with a failed auth_result and keeps the socket', async () => {
    const client = await ProtocolClient.connect(rig.url);
    await client.waitForEvent('authentication', (m) => (m as { action: string }).action === 'request_auth');
    client.socket.emit('authenticate', { username: 'u' } as never);
    const result = (await client.waitForEvent('authentication', (m) => (m as { action: string }).action === 'auth_result')) as { message: string };
    expect(result.message).toMatch(/^Invalid credentials/);
    expect(client.socket.connected).toBe(true);
    client.close();
  });
});

describe('gateway connection: terminal streams', () => {
  it('carries a keystroke to the worker as bytes and its echo back, and acknowledges what the client took', async () => {
    const { client, sid, gateway } = await liveSession();
    client.socket.emit('terminal', { cols: 120, rows: 40 });
    await waitFor(() => rig.worker.of('terminal').some((m) => m.sid === sid), 'terminal on the worker');
    expect(rig.worker.of('terminal').find((m) => m.sid === sid)).toMatchObject({ cols: 120, rows: 40 });

    client.type('é\r');
    await waitFor(() => rig.worker.of('input').some((m) => m.sid === sid), 'the input on the worker');
    expect(rig.worker.of('input').find((m) => m.sid === sid)!.data.toString()).toBe('é\r');

    await rig.worker.post(gateway, { type: 'output', sid, offset: 0, data: Buffer.from('echo\r\n') });
    await client.waitForOutput('echo\r\n');
    // Acks reach the worker in steps (a quarter of the low-water mark at most), so a screenful more.
    const screen = Buffer.alloc(Math.ceil(config.flow.lowWaterBytes / 4), 'x');
    await rig.worker.post(gateway, { type: 'output', sid, offset: 6, data: screen });
    await waitFor(() => client.output.length >= 6 + screen.length, 'the screenful in the client');
    client.socket.emit('session:ack', { offset: 6 + screen.length });
    await waitFor(() => rig.worker.of('ack').some((m) => m.sid === sid && m.offset === 6 + screen.length), 'the ack on the worker');
    client.close();
  });

  it('refuses a bad payload with a message, and the session goes on', async () => {
    const { client, sid, gateway } = await liveSession();
    client.socket.emit('resize', { cols: -1, rows: 'x' } as never);
    await client.waitForEvent('ssherror');
    (client.socket as unknown as { emit(event: string): void }).emit('no-such-event');
    await client.waitForEvent('ssherror', (m) => String(m).startsWith('Unsupported event'));
    await rig.worker.post(gateway, { type: 'output', sid, offset: 0, data: Buffer.from('still here') });
    await client.waitForOutput('still here');
    expect(rig.worker.of('resize').filter((m) => m.sid === sid)).toEqual([]);
    client.close();
  });
});

describe('gateway connection: each byte once when Redis loses or repeats messages', () => {
  it('drops output the socket has, and re-attaches from its offset after a gap', async () => {
    const { client, sid, gateway } = await liveSession();
    await rig.worker.post(gateway, { type: 'output', sid, offset: 0, data: Buffer.from('one ') });
    // A repeat (a command resent after a failover) and an overlap.
    await rig.worker.post(gateway, { type: 'output', sid, offset: 0, data: Buffer.from('one ') });
    await rig.worker.post(gateway, { type: 'output', sid, offset: 2, data: Buffer.from('e two ') });
    // `three ` (offset 8) was lost: what follows it waits for a re-send.
    await rig.worker.post(gateway, { type: 'output', sid, offset: 14, data: Buffer.from('four ') });
    await waitFor(() => rig.worker.of('attach').some((m) => m.sid === sid), 'a re-attach');
    expect(rig.worker.of('attach').find((m) => m.sid === sid)!.offset).toBe(8);
    await rig.worker.post(gateway, { type: 'output', sid, offset: 8, data: Buffer.from('three four ') });
    await client.waitForOutput('four ');
    expect(client.outputText).toBe('one two three four ');
    client.close();
  });

  it('numbers input, keeps it until the worker has it, and sends again what the worker asks for', async () => {
    const { client, sid, gateway } = await liveSession();
    client.type('ls');
    client.type(' -l\r');
    await waitFor(() => rig.worker.of('input').filter((m) => m.sid === sid).length === 2, 'two inputs on the worker');
    expect(rig.worker.of('input').filter((m) => m.sid === sid).map((m) => m.offset)).toEqual([0, 2]);
    // The worker got the first and not the second: it asks from 2.
    await rig.worker.post(gateway, { type: 'input-sync', sid, offset: 2 });
    await waitFor(() => rig.worker.of('input').filter((m) => m.sid === sid).length === 3, 'the input sent again');
    expect(rig.worker.of('input').filter((m) => m.sid === sid)[2]).toMatchObject({ offset: 2, data: Buffer.from(' -l\r') });
    // An echo says how much input had arrived: that is no longer kept.
    await rig.worker.post(gateway, { type: 'output', sid, offset: 0, inputOffset: 6, data: Buffer.from('ls -l\r\n') });
    await client.waitForOutput('ls -l');
    // Once the worker has it all, nothing is sent again.
    await rig.worker.post(gateway, { type: 'input-ack', sid, offset: 6 });
    await rig.worker.post(gateway, { type: 'input-sync', sid, offset: 6 });
    client.type('x');
    await waitFor(() => rig.worker.of('input').filter((m) => m.sid === sid).length === 4, 'the next input');
    expect(rig.worker.of('input').filter((m) => m.sid === sid)[3]).toMatchObject({ offset: 6, data: Buffer.from('x') });
    client.close();
  });
});

describe('gateway connection: resume flow', () => {
  it('attaches with a signed claim, hands the session to the new socket and tells the old one', async () => {
    const first = await liveSession();
    const second = await ProtocolClient.connect(rig.url);
    await second.waitForEvent('authentication');
    second.socket.emit('session:resume', { sessionId: first.sid, resumeToken: first.info.resumeToken, offset: 0, inputOffset: 0 });
    await waitFor(() => rig.worker.of('attach').some((m) => m.sid === first.sid), 'the attach on the worker');
    const attach = rig.worker.of('attach').find((m) => m.sid === first.sid)!;
    const { sid, offset, tokenHash, issuedAt, nonce, proof } = attach;
    expect(rig.keys.proofs.checkAttach({ sid, offset, tokenHash, issuedAt, nonce, gateway: first.gateway }, proof)).toBe('valid');

    await rig.worker.post(first.gateway, { type: 'attached', sid: first.sid, offset: 0, inputOffset: 0, inputTaken: 0 });
    await second.waitForEvent('session:resumed');
    await first.client.waitForEvent('session:detached');
    await rig.worker.post(first.gateway, { type: 'output', sid: first.sid, offset: 0, data: Buffer.from('to the new socket') });
    await second.waitForOutput('to the new socket');
    expect(first.client.outputText).not.toContain('to the new socket');
    first.client.close();
    second.close();
  });

  it('refuses a wrong token without asking the worker', async () => {
    const { client, sid } = await liveSession();
    const intruder = await ProtocolClient.connect(rig.url);
    await intruder.waitForEvent('authentication');
    intruder.socket.emit('session:resume', { sessionId: sid, resumeToken: 'not-the-token', offset: 0, inputOffset: 0 });
    const failure = (await intruder.waitForEvent('session:resume-failed')) as { reason: string };
    expect(failure.reason).toBe('forbidden');
    expect(rig.worker.of('attach').filter((m) => m.sid === sid)).toEqual([]);
    client.close();
    intruder.close();
  });

  it('gives up on a silent worker, says busy and leaves the session detached for the next resume', async () => {
    const { client, sid, info } = await liveSession();
    // The connection drops without a goodbye: the session waits for a resume.
    client.socket.io.engine.close();
    await waitFor(() => rig.worker.of('detach').some((m) => m.sid === sid), 'the detach of the dropped socket');
    const second = await ProtocolClient.connect(rig.url);
    await second.waitForEvent('authentication');
    second.socket.emit('session:resume', { sessionId: sid, resumeToken: info.resumeToken, offset: 0, inputOffset: 0 });
    const failure = (await second.waitForEvent('session:resume-failed', () => true, RESUME_ANSWER_TIMEOUT_MS + 10_000)) as { reason: string };
    expect(failure.reason).toBe('busy');
    await waitFor(() => rig.worker.of('detach').filter((m) => m.sid === sid).length === 2, 'a second detach after the silent attach');
    second.close();
  });
});
