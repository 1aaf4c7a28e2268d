/**
 * A Redis failover under a working session, as the Sentinel and Redis
 * Cluster suites run it: a shell streams numbered ticks while the user types
 * numbered lines into `cat` (echo off, so each line shows once per time it
 * arrived); mid-stream the Redis primary is SIGKILLed; a replica takes over.
 * Then every tick and every typed line must show exactly once and in order,
 * the socket must never have dropped, and a new login must work. What it
 * measured is returned for the suite to report.
 */
import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import type { SshdHandle } from '../harness/sshd.js';

const TICKS = 400;
const LINES = 120;
const TYPING_INTERVAL_MS = 40;

export interface FailoverFigures {
  /** From the kill to the first output byte received after it (bytes in flight can beat the kill). */
  firstByteAfterKillMs: number;
  /** The longest pause in the output from the kill on (the ticks come every 20 ms). */
  longestStallMs: number;
  /** From the kill to a new login's shell output. */
  newLoginAfterKillMs: number;
  /** Logins tried after the kill that did not get a shell before one did. */
  loginsRefused: number;
  /** Output bytes workers sent again (re-attaches after lost messages). */
  bytesResent: number;
  /** Times a worker's inbox may have lost messages and it asked its carriers for missing input. */
  inputSyncs: number;
  /** What the user's status line said after the kill. */
  statusLines: string[];
}

const numbered = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((match) => Number(match[1]));

export async function redisFailoverScenario(fleet: Fleet, sshd: SshdHandle, killPrimary: () => Promise<void>): Promise<FailoverFigures> {
  const login = { username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port };
  const client = await ProtocolClient.connect(fleet.urls[0]!);
  const arrivals: number[] = [];
  client.socket.on('data', () => arrivals.push(Date.now()));
  try {
    await client.openShell(login);
    await client.waitForOutput(/\$ $/);
    client.type(`stty -echo; (for i in $(seq 1 ${TICKS}); do echo "tick-$i"; sleep 0.02; done; echo ticks-""done) & cat\r`);
    await client.waitForOutput('tick-40\r\n', 20_000);

    let typed = 0;
    const typing = setInterval(() => {
      if (typed < LINES) client.type(`line-${++typed}\r`);
    }, TYPING_INTERVAL_MS);
    try {
      await expectLater(() => typed >= 20, 'twenty lines typed');
      const killedAt = Date.now();
      await killPrimary();

      // New logins: tried until one gets a shell, counting those refused.
      let loginsRefused = 0;
      const refusals: string[] = [];
      let newLoginAfterKillMs = -1;
      while (newLoginAfterKillMs < 0) {
        const newcomer = await ProtocolClient.connect(fleet.urls[1 % fleet.urls.length]!);
        try {
          await newcomer.openShell(login);
          newcomer.type('echo fresh-""login\r');
          await newcomer.waitForOutput('fresh-login', 10_000);
          newLoginAfterKillMs = Date.now() - killedAt;
        } catch (error) {
          loginsRefused++;
          refusals.push((error as Error).message.split('\n')[0]!);
          if (Date.now() - killedAt > 30_000) throw new Error(`no login worked within 30 s of the kill (${loginsRefused} tried): ${[...new Set(refusals)].join('; ')}`);
        } finally {
          newcomer.close();
        }
      }

      await client.waitForOutput('ticks-done', 60_000);
      await expectLater(() => typed >= LINES, 'every line typed');
      await client.waitForOutput(new RegExp(`line-${LINES}\r?\n`), 20_000);
      const firstByteAfterKillMs = (arrivals.find((at) => at > killedAt) ?? Number.NaN) - killedAt;
      const afterKill = [killedAt, ...arrivals.filter((at) => at > killedAt)];
      const longestStallMs = Math.max(...afterKill.slice(1).map((at, i) => at - afterKill[i]!));

      const text = client.outputText;
      expect(numbered(text, /tick-(\d+)\r?\n/g), 'every tick once, in order').toEqual(Array.from({ length: TICKS }, (_, i) => i + 1));
      expect(numbered(text, /line-(\d+)\r?\n/g), 'every typed line once, in order').toEqual(Array.from({ length: LINES }, (_, i) => i + 1));
      expect(client.eventsNamed('disconnect'), 'the socket stayed up').toEqual([]);

      const workerLogs = fleet.workers.flatMap((worker) => worker.logs);
      const bytesResent = workerLogs
        .filter((line) => line.includes('"event":"session-attached"'))
        .reduce((sum, line) => sum + (JSON.parse(line) as { resentBytes?: number }).resentBytes!, 0);
      const inputSyncs = workerLogs.filter((line) => line.includes('asking carriers for missing input')).length;
      const statusLines = (client.eventsNamed('updateUI') as { element: string; value: string }[])
        .filter((update) => update.element === 'status' && update.value !== 'Connected')
        .map((update) => update.value);
      return { firstByteAfterKillMs, longestStallMs, newLoginAfterKillMs, loginsRefused, bytesResent, inputSyncs, statusLines };
    } finally {
      clearInterval(typing);
      // FAILOVER_DUMP=<file>: what the user saw and every process logged, for a failure's post-mortem.
      if (process.env.FAILOVER_DUMP) writeFileSync(process.env.FAILOVER_DUMP, `${client.outputText}\n----\n${fleet.allLogs().join('\n')}`);
    }
  } finally {
    client.close();
  }
}

async function expectLater(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
