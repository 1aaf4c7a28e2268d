/**
 * Issue 10, item 9: input typed ahead is never lost. A client may type the
 * moment it learns its session (`session:info` comes with the login result,
 * before `getTerminal`, `terminal` and the shell): that input reaches the
 * shell once it opens, in order, and counts in the input offset a resume
 * reports. Input before the login has succeeded is refused, and said so.
 * Against the all-in-one process and a cluster, with a neighbour echoing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../shared/protocol/events.js';
import { EchoProbe } from '../harness/echo-probe.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { sshdAndFleets } from '../harness/sshd-and-fleets.js';

const parts = sshdAndFleets({ gateways: 2, workers: 1 });
const credentials = () => parts.credentials();
const connect = (url: string) => parts.connect(url);

describe.each(['all-in-one', 'cluster'] as const)('typed-ahead input (%s)', (mode) => {
  let neighbour: ProtocolClient;
  let probe: EchoProbe;
  beforeAll(async () => {
    neighbour = await connect(parts.fleet(mode).urls[0]!);
    await neighbour.openShell(credentials());
    await neighbour.waitForOutput(/\$ $/m);
    probe = new EchoProbe(neighbour, { boundMs: 1000 });
  });

  it('delivers input typed on session:info, before the shell exists, in order, and counts it for a resume', async () => {
    const fleet = parts.fleet(mode);
    const client = await connect(fleet.urls[0]!);
    const typed = ['echo ahe""ad-1\r', 'echo ahe""ad-2\r'];
    let info: SessionInfo | undefined;
    client.socket.once('session:info', (announced) => {
      info = announced;
      // At once, before getTerminal: the shell is not open yet.
      for (const line of typed) client.type(line);
    });
    expect(await client.login(credentials())).toEqual({ success: true });
    await client.waitForEvent('getTerminal');
    client.socket.emit('terminal', { cols: 80, rows: 24 });
    await client.waitForOutput(/[\r\n]ahead-1\r\n[\s\S]*[\r\n]ahead-2\r\n/, 10_000);
    expect(client.eventsNamed('ssherror')).toEqual([]);

    // A resume through the other gateway learns that the session has every typed byte.
    const url = fleet.urls[fleet.urls.length - 1]!;
    client.socket.io.engine.close();
    const resumed = await connect(url);
    resumed.socket.emit('session:resume', { sessionId: info!.sessionId, resumeToken: info!.resumeToken, offset: client.output.length, inputOffset: 0 });
    const answer = (await resumed.waitForEvent('session:resumed')) as { inputOffset: number };
    expect(answer.inputOffset).toBe(Buffer.byteLength(typed.join('')));
    console.log(`[${mode}] typed ahead: ${typed.length} lines echoed in order; resume reports inputOffset ${answer.inputOffset}; neighbour echo ${Math.round(await probe.once())} ms`);
    resumed.close();
  });

  it('refuses input sent before the login has succeeded, once, with a clear message', async () => {
    const client = await connect(parts.fleet(mode).urls[0]!);
    await client.waitForEvent('authentication');
    for (let i = 0; i < 20; i++) client.type('too early\r');
    await client.waitForEvent('ssherror', (message) => message === 'No SSH session is open yet: input dropped');
    expect(await client.login(credentials())).toEqual({ success: true });
    await client.waitForEvent('getTerminal');
    client.socket.emit('terminal', { cols: 80, rows: 24 });
    await client.waitForOutput(/\$ $/m);
    client.type('echo lat""er\r');
    await client.waitForOutput(/[\r\n]later\r\n/);
    expect(client.outputText).not.toContain('too early');
    expect(client.eventsNamed('ssherror').filter((message) => message === 'No SSH session is open yet: input dropped')).toHaveLength(1);
    expect(await probe.once()).toBeLessThan(1000);
  });
});
