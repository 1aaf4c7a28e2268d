/**
 * Child-process entry for one measurement (see measurement.ts): receives it
 * over IPC, runs it, waits until its SSH sessions are really gone, and
 * replies. Waiting matters for the fleet: a socket dropped by an exiting
 * process reads as a lost connection, and the worker would keep the session
 * for a resume instead of ending it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { openDirectShell } from './baseline/direct-ssh2.js';
import { openFleetShell } from './bench-client.js';
import type { Measurement, Reply } from './measurement.js';
import { childCount } from './process-usage.js';
import { measureEchoLatency } from './scenarios/echo-latency.js';
import { measureSessionSetup } from './scenarios/session-setup.js';
import { measureThroughput } from './scenarios/throughput.js';
import type { Shell } from './shell.js';

const TEARDOWN_TIMEOUT_MS = 60_000;

process.once('message', (message) => {
  const measurement = message as Measurement;
  run(measurement).then(
    (result) => reply({ ok: true, result }, 0),
    (error: Error) => reply({ ok: false, error: error.stack ?? error.message }, 1),
  );
});

async function run(m: Measurement) {
  const { client, target } = m;
  const open = (): Promise<Shell> => (client.kind === 'direct' ? openDirectShell(target) : openFleetShell(target, client));
  const result = await (m.scenario === 'throughput'
    ? measureThroughput(open, m.bytes, m.pids, m.timeoutMs)
    : m.scenario === 'echo'
      ? measureEchoLatency(open, m.warmup, m.samples, m.pids, m.timeoutMs)
      : measureSessionSetup(open, m.sessions, m.pids, m.timeoutMs));
  await sessionsEnded(m.sshdPid);
  return result;
}

async function sessionsEnded(sshdPid: number): Promise<void> {
  const deadline = Date.now() + TEARDOWN_TIMEOUT_MS;
  while (childCount(sshdPid) > 0) {
    if (Date.now() > deadline) throw new Error(`sshd still has ${childCount(sshdPid)} connections ${TEARDOWN_TIMEOUT_MS} ms after closing the sessions`);
    await delay(50);
  }
}

function reply(message: Reply, exitCode: number): void {
  process.send!(message, () => process.exit(exitCode));
}
