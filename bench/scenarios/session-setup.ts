/**
 * Session setup under load: `count` logins started at once, each done when
 * its shell shows the prompt; the clock stops when the last one is ready.
 * Resident memory of the measured processes (and of this client process) is
 * read before the logins and again with every session open.
 */
import { rssKiB, sample, type Pids } from '../process-usage.js';
import { waitForPrompt, within, type Shell } from '../shell.js';

export interface SessionSetupResult {
  sessions: number;
  seconds: number;
  /** Time from the start to each session's prompt, in completion order. */
  readyMs: number[];
  rssBeforeKiB: Record<string, number>;
  rssAfterKiB: Record<string, number>;
}

export async function measureSessionSetup(open: () => Promise<Shell>, count: number, pids: Pids, timeoutMs: number): Promise<SessionSetupResult> {
  // The client's own memory is the direct baseline's cost per session.
  const measured = { ...pids, client: process.pid };
  const rssBeforeKiB = sample(measured, rssKiB);
  const opened: Shell[] = [];
  const readyMs: number[] = [];
  const start = process.hrtime.bigint();
  const elapsedMs = () => Number(process.hrtime.bigint() - start) / 1e6;
  try {
    const logins = Array.from({ length: count }, async () => {
      const shell = await open();
      opened.push(shell);
      await waitForPrompt(shell, timeoutMs);
      readyMs.push(elapsedMs());
    });
    await within(Promise.all(logins), timeoutMs, `${count} concurrent logins (${readyMs.length} ready so far)`);
    const seconds = elapsedMs() / 1000;
    return { sessions: count, seconds, readyMs, rssBeforeKiB, rssAfterKiB: sample(measured, rssKiB) };
  } finally {
    for (const shell of opened) shell.close();
  }
}
