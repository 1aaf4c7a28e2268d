/**
 * Redis restarts empty (no persistence) in the middle of a live session:
 * gateways and workers reconnect by themselves, the SSH connection stays up,
 * output produced meanwhile is delivered once and in order, the session can
 * still be resumed (its worker re-registers it), and new logins work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { ResumingClient } from '../harness/resuming-client.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

describe('Redis restart without persistence', () => {
  let sshd: SshdHandle;
  let fleet: Fleet;
  beforeAll(async () => {
    sshd = await startSshd();
    fleet = await startFleet('cluster', { gateways: 2, workers: 1 });
  });
  afterAll(async () => {
    await fleet?.stop();
    await sshd?.stop();
  });
  const login = () => ({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });

  it('keeps the session: output continues once and in order, input works, resume works, new logins work', async () => {
    let output = '';
    const client = new ResumingClient({ urls: fleet.urls, onOutput: (chunk) => (output += chunk.toString()) });
    await client.start(login());
    await client.until(() => /\$ $/.test(output), 10_000, 'the prompt');
    client.type('for i in $(seq 1 60); do echo "tick-$i"; sleep 0.1; done\r');
    await client.until(() => output.includes('tick-10\r\n'), 10_000, 'tick-10');

    await fleet.redis!.restart();

    await client.until(() => output.includes('tick-60\r\n'), 30_000, 'tick-60');
    // The path under test ran: a gateway found its inbox gone and re-attached its session.
    expect(fleet.gateways.some((g) => g.logs.some((line) => line.includes('re-attaching sessions')))).toBe(true);
    const ticks = [...output.matchAll(/[\r\n]tick-(\d+)(?=\r\n)/g)].map((m) => Number(m[1]));
    expect(ticks).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));

    client.type('echo after-""restart\r');
    await client.until(() => output.includes('after-restart\r\n'), 10_000, 'input after the restart');
    expect(fleet.workers[0]!.logs.filter((line) => line.includes('"event":"session-end"'))).toEqual([]);

    client.dropConnection();
    await client.until(() => client.events.some((e) => e.type === 'resumed'), 15_000, 'a resume after the restart');
    expect(client.errors).toEqual([]);

    const newcomer = await ProtocolClient.connect(fleet.urls[1]!);
    await newcomer.openShell(login());
    newcomer.type('echo new-""login\r');
    await newcomer.waitForOutput('new-login');
    newcomer.close();
    client.close();
  });
});
