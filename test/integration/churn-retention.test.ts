/**
 * Nothing grows with churn (issue 11): sessions that ended leave nothing
 * behind in the processes that carried them, and a session that stays keeps
 * no more than its bounded replay buffer. Sessions are opened and ended in
 * rounds (half by `exit`, half by a socket dropped without a goodbye and left
 * to its detach timeout) against a cluster and the all-in-one process, while
 * one standing terminal types all along; heap snapshots of each process after
 * a small and after a larger round must not hold more of any class in
 * proportion to the sessions that ended. (Before, each echo the standing
 * terminal received stayed in its replay buffer as a slice that kept its
 * whole SSH packet alive: a Buffer and an ArrayBuffer per echo.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, type FleetMode } from '../harness/fleet.js';
import { growth, heapSnapshots, summarize, type HeapSnapshots } from '../harness/heap-snapshot.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startScriptedSshServer, type ScriptedServerHandle } from '../harness/scripted-ssh-server.js';

const DETACH_TIMEOUT_MS = 500;
const FIRST_ROUND = 60;
const SECOND_ROUND = 240;
/** More instances of any class than this after the larger round (per ended session) is a leak. */
const MAX_ADDED_PER_SESSION = 0.5;

/** The test is one client address opening hundreds of sessions: the per-address limits would refuse it. */
const CHURN_FROM_ONE_ADDRESS = {
  FLEET_LIMIT_LOGINS_PER_IP: '100000',
  FLEET_LIMIT_SESSIONS_PER_IP: '100000',
  FLEET_LIMIT_LOGINS_IN_FLIGHT_PER_IP: '1000',
  FLEET_LIMIT_LOGIN_FAILURES_PER_TARGET: '1000',
};

let target: ScriptedServerHandle;
let snapshots: HeapSnapshots;
beforeAll(async () => {
  target = await startScriptedSshServer('many-sessions');
  snapshots = heapSnapshots();
});
afterAll(async () => {
  await target?.stop();
  snapshots?.remove();
});

/** One session: log in, open the shell, type, then end it one way or the other. */
async function oneSession(url: string, ending: 'exit' | 'drop'): Promise<void> {
  const client = await ProtocolClient.connect(url);
  try {
    await client.openShell({ username: target.user, password: target.password, host: target.host, port: target.port });
    await client.waitForOutput('$ ');
    client.type('hello\r');
    await client.waitForOutput('hello\r\n');
    if (ending === 'exit') {
      client.type('exit\r');
      await client.waitForEvent('session:closed');
    } else {
      client.socket.io.engine.close();
      await client.waitForEvent('disconnect');
    }
  } finally {
    client.close();
  }
}

async function churn(url: string, sessions: number): Promise<void> {
  for (let started = 0; started < sessions; started += 10) {
    await Promise.all(Array.from({ length: 10 }, (_, i) => oneSession(url, (started + i) % 2 === 0 ? 'exit' : 'drop')));
  }
  // Every dropped session has outlived its detach timeout and ended.
  await new Promise((resolve) => setTimeout(resolve, DETACH_TIMEOUT_MS * 4));
}

describe.each(['cluster', 'all-in-one'] as FleetMode[])('sessions that ended (%s)', (mode) => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet(mode, {
      gateways: 1,
      workers: 1,
      // Notes of ended sessions are kept for a while by design (a TTL, in Redis or in memory): short here, so that what stays is what leaks.
      // A heap snapshot stops the process it is taken of for seconds (more on a loaded machine): inboxes and
      // leases outlive that here, or the gateway would rightly take the frozen worker for dead.
      env: {
        FLEET_DETACH_TIMEOUT_MS: String(DETACH_TIMEOUT_MS),
        FLEET_ENDED_NOTE_TTL_MS: '1000',
        FLEET_LEASE_TTL_MS: '60000',
        ...CHURN_FROM_ONE_ADDRESS,
        ...snapshots.env,
      },
    });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('leave nothing behind in the processes that carried them, nor does a standing session that keeps typing', async () => {
    const processes: Record<string, number> = mode === 'cluster' ? { gateway: fleet.gateways[0]!.pid, worker: fleet.workers[0]!.pid } : { 'all-in-one': fleet.gateways[0]!.pid };
    // A terminal that stays, typing all along: its replay buffer is bounded by bytes, and must not keep each echo's packet.
    const standing = await ProtocolClient.connect(fleet.urls[0]!);
    await standing.openShell({ username: target.user, password: target.password, host: target.host, port: target.port });
    await standing.waitForOutput('$ ');
    let lines = 0;
    const typing = setInterval(() => standing.type(`line ${++lines}\r`), 10);
    await churn(fleet.urls[0]!, FIRST_ROUND);
    const before = new Map<string, ReturnType<typeof summarize>>();
    for (const [role, pid] of Object.entries(processes)) before.set(role, summarize(await snapshots.take(pid)));
    const linesBefore = lines;
    await churn(fleet.urls[0]!, SECOND_ROUND);
    clearInterval(typing);
    console.log(`[${mode}] the standing session typed ${lines - linesBefore} lines during the second round`);
    // It is still there, and still answers.
    standing.type('still here\r');
    // It answers; how fast is not this test's question (a loaded machine may take a while to work off the typing).
    await standing.waitForOutput('still here\r\n', 60_000);
    standing.close();
    for (const [role, pid] of Object.entries(processes)) {
      const after = summarize(await snapshots.take(pid));
      const grown = growth(before.get(role)!, after, 8);
      console.log(`[${mode}] ${role} after ${SECOND_ROUND} more ended sessions, classes that grew most: ${grown.map(({ name, added }) => `${name} +${added}`).join(', ') || 'none'}`);
      for (const { name, added } of grown) expect(added / SECOND_ROUND, `${role}: ${name} +${added}`).toBeLessThan(MAX_ADDED_PER_SESSION);
    }
  }, 180_000);
});
