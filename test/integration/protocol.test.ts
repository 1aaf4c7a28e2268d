/**
 * The WebSSH2 protocol end to end, against a real OpenSSH sshd, through the
 * all-in-one process and through a cluster of two gateways and two workers
 * (separate OS processes around a real redis-server). One suite, both modes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, type FleetMode } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

describe.each<FleetMode>(['all-in-one', 'cluster'])('WebSSH2 protocol (%s)', (mode) => {
  let sshd: SshdHandle;
  let fleet: Fleet;
  const clients: ProtocolClient[] = [];

  beforeAll(async () => {
    sshd = await startSshd();
    fleet = await startFleet(mode);
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await fleet?.stop();
    await sshd?.stop();
  });

  async function connect(gateway = 0): Promise<ProtocolClient> {
    const client = await ProtocolClient.connect(fleet.urls[gateway % fleet.urls.length]!);
    clients.push(client);
    return client;
  }
  const passwordLogin = () => ({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });

  it('logs in with a password and round-trips input through the shell', async () => {
    const client = await connect();
    await client.openShell(passwordLogin());
    client.type('echo "round""trip"\r');
    await client.waitForOutput('roundtrip');
  });
});
