/**
 * Keystroke-to-echo latency: single characters typed one at a time into
 * bash's readline, each timed from sending it to receiving its echo. The
 * line is cleared with Ctrl-U before it could wrap, so every echo is the
 * same one-byte redisplay. The CPU of the measured processes over the timed
 * keystrokes, divided by their number, is each process's cost per keystroke
 * round trip (input in, echo out; the Ctrl-U every 40 keys included).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { cpuMs, delta, sample, type Pids } from '../process-usage.js';
import { percentile } from '../stats.js';
import { waitForPrompt, within, type Shell } from '../shell.js';

export interface EchoResult {
  p50Ms: number;
  p99Ms: number;
  /** Every timed keystroke, in order (warm-up excluded). */
  samplesMs: number[];
  /** CPU microseconds per timed keystroke, by measured process. */
  cpuUsPerKeystroke: Record<string, number>;
}

const KEYS = 'abcdefghijklmnopqrstuvwxyz';
/** Well short of 80 columns even after a long prompt. */
const KEYS_PER_LINE = 40;
const CTRL_U = '\x15';
/** Readline's redisplay after Ctrl-U is one write; this much silence means it is all in. */
const QUIET_MS = 10;
const ECHO_TIMEOUT_MS = 5_000;

export async function measureEchoLatency(open: () => Promise<Shell>, warmup: number, samples: number, pids: Pids, timeoutMs: number): Promise<EchoResult> {
  const shell = await within(open(), 30_000, 'login');
  try {
    await waitForPrompt(shell, 30_000);
    const deadline = Date.now() + timeoutMs;
    let expected = -1;
    let echoed: ((at: bigint) => void) | undefined;
    const activity = { chunks: 0, lastAt: 0 };
    shell.onOutput((chunk) => {
      const at = process.hrtime.bigint();
      activity.chunks++;
      activity.lastAt = Date.now();
      // The echo of a key typed at the end of the line ends with that key.
      if (echoed && chunk[chunk.length - 1] === expected) echoed(at);
    });

    const samplesMs: number[] = [];
    let cpuBefore: Record<string, number> = {};
    for (let i = 0; i < warmup + samples; i++) {
      if (i === warmup) cpuBefore = sample(pids, cpuMs);
      if (Date.now() > deadline) throw new Error(`${i} of ${warmup + samples} keystrokes done after ${timeoutMs} ms`);
      if (i > 0 && i % KEYS_PER_LINE === 0) await clearLine(shell, activity);
      const key = KEYS[i % KEYS.length]!;
      expected = key.charCodeAt(0);
      const echo = new Promise<bigint>((resolve) => (echoed = resolve));
      const sent = process.hrtime.bigint();
      shell.type(key);
      const at = await within(echo, ECHO_TIMEOUT_MS, `echo of keystroke ${i}`);
      echoed = undefined;
      if (i >= warmup) samplesMs.push(Number(at - sent) / 1e6);
    }
    const cpuUsPerKeystroke = Object.fromEntries(Object.entries(delta(cpuBefore, sample(pids, cpuMs))).map(([role, ms]) => [role, (ms * 1000) / samples]));
    return { p50Ms: percentile(samplesMs, 50), p99Ms: percentile(samplesMs, 99), samplesMs, cpuUsPerKeystroke };
  } finally {
    shell.close();
  }
}

async function clearLine(shell: Shell, activity: { chunks: number; lastAt: number }): Promise<void> {
  const before = activity.chunks;
  shell.type(CTRL_U);
  const deadline = Date.now() + ECHO_TIMEOUT_MS;
  while (activity.chunks === before || Date.now() - activity.lastAt < QUIET_MS) {
    if (Date.now() > deadline) throw new Error('no redisplay after Ctrl-U');
    await delay(2);
  }
}
