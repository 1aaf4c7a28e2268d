/**
 * A suite's real parts in one call: an sshd, the all-in-one process and a
 * cluster (the same attack runs against both), the clients the suite opens,
 * all stopped after the suite. Registers the suite's beforeAll and afterAll.
 */
import { afterAll, beforeAll } from 'vitest';
import { startFleet, type Fleet, type FleetMode } from './fleet.js';
import { ProtocolClient } from './protocol-client.js';
import { startSshd, type SshdHandle } from './sshd.js';

export interface SshdAndFleets {
  sshd(): SshdHandle;
  fleet(mode: FleetMode): Fleet;
  /** Login credentials for the sshd's test user. */
  credentials(): { username: string; password: string; host: string; port: number };
  /** A socket to `url`, closed after the suite. */
  connect(url: string): Promise<ProtocolClient>;
}

export function sshdAndFleets(cluster: { gateways: number; workers: number }): SshdAndFleets {
  let sshd: SshdHandle | undefined;
  const fleets = new Map<FleetMode, Fleet>();
  const clients: ProtocolClient[] = [];
  beforeAll(async () => {
    sshd = await startSshd();
    const [allInOne, clustered] = await Promise.all([startFleet('all-in-one'), startFleet('cluster', cluster)]);
    fleets.set('all-in-one', allInOne).set('cluster', clustered);
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all([...fleets.values()].map((fleet) => fleet.stop()));
    await sshd?.stop();
  });
  return {
    sshd: () => sshd!,
    fleet: (mode) => fleets.get(mode)!,
    credentials: () => ({ username: sshd!.user, password: sshd!.password, host: sshd!.host, port: sshd!.port }),
    async connect(url) {
      const client = await ProtocolClient.connect(url);
      clients.push(client);
      return client;
    },
  };
}
