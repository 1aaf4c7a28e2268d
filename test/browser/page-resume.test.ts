/**
 * The page survives its gateway: a cluster of two gateways behind a
 * round-robin balancer, one worker, a real sshd. While the shell streams
 * numbered lines, the gateway carrying the page's socket is SIGKILLed; the
 * page shows that it is reconnecting, resumes through the other gateway,
 * and the terminal ends up with every line exactly once, in order. Keys
 * typed while it reconnects reach the shell once.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium, openPage, recordStatusTexts, saveScreenshot, terminalLines, waitForTerminalLine } from '../harness/browser.js';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { startLoadBalancer, type LoadBalancer } from '../harness/load-balancer.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

let sshd: SshdHandle;
let fleet: Fleet;
let balancer: LoadBalancer;
let browser: Browser;

beforeAll(async () => {
  [sshd, browser] = await Promise.all([startSshd(), launchChromium()]);
  fleet = await startFleet('cluster', { gateways: 2, workers: 1 });
  balancer = await startLoadBalancer(fleet.urls);
});
afterAll(async () => {
  await browser?.close();
  await balancer?.stop();
  await fleet?.stop();
  await sshd?.stop();
});

/** Which gateway holds the page's session, from each gateway's own session gauge. */
async function gatewayCarryingSession(): Promise<number> {
  const counts = await Promise.all(
    fleet.metricsUrls.map(async (url) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Number(/^webssh_fleet_gateway_sessions(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
    }),
  );
  const index = counts.findIndex((count) => count > 0);
  if (index < 0) throw new Error(`no gateway reports a session: ${JSON.stringify(counts)}`);
  return index;
}

it('keeps streaming through a gateway SIGKILL with nothing lost or doubled', async () => {
  const { page, problems } = await openPage(browser, `${balancer.url}/ssh`);
  await page.getByLabel('Host').fill(sshd.host);
  await page.getByLabel('Port').fill(String(sshd.port));
  await page.getByLabel('Username').fill(sshd.user);
  await page.getByLabel('Password', { exact: true }).fill(sshd.password);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect.poll(() => page.locator('#status').textContent(), { timeout: 20_000 }).toBe('Connected');
  await waitForTerminalLine(page, /\$ ?$/);
  const statusTexts = await recordStatusTexts(page);

  const LINES = 600;
  await page.locator('#terminal .xterm-helper-textarea').focus();
  await page.keyboard.type(`for i in $(seq 1 ${LINES}); do echo line-$i; sleep 0.01; done; echo stream-$((1000+1))\r`);
  await waitForTerminalLine(page, /^line-100$/);
  const carrying = await gatewayCarryingSession();
  void fleet.gateways[carrying]!.kill('SIGKILL');
  balancer.remove(fleet.urls[carrying]!);
  // Typed while the page is reconnecting: queued, then delivered once.
  await page.keyboard.type('echo after-$((40+2))\r');

  // What the page and the fleet were doing, for a failure that is hard to reproduce.
  const story = async (): Promise<string> => {
    const fleetLines = fleet.allLogs().filter((line) => /resume|attach|detach|socket|session-/.test(line)).slice(-30);
    return `status history: ${JSON.stringify(await statusTexts())}\nmessage: ${await page.locator('#message').textContent()}\nfleet:\n${fleetLines.join('\n')}`;
  };
  await waitForTerminalLine(page, /^after-42$/, 30_000).catch(async (error: Error) => {
    throw new Error(`${error.message}\n${await story()}`);
  });
  await saveScreenshot(page, 'page-after-gateway-kill');
  const lines = await terminalLines(page);
  // The keys typed while reconnecting reach the pty while the loop still
  // prints, and the tty echoes them at once, between two of its lines: a key
  // sent on its own (the page went live again mid-typing) lands at the start
  // of the next line (`echo afline-134`). Each `echo line-N` is one write, so
  // a line still ends with its whole number.
  const numbered = lines.map((line) => /line-(\d+)$/.exec(line)).filter((match) => match !== null).map((match) => Number(match[1]));
  expect(numbered, await story()).toEqual(Array.from({ length: LINES }, (_, i) => i + 1));
  expect(lines.filter((line) => line === 'stream-1001')).toHaveLength(1);
  expect(lines.filter((line) => line === 'after-42')).toHaveLength(1);
  expect(await statusTexts()).toContain('Reconnecting…');
  expect(await page.locator('#status').textContent()).toBe('Connected');
  expect(await page.locator('#reconnecting').isVisible()).toBe(false);
  // The socket the gateway took with it is the only complaint allowed.
  expect(problems.filter((problem) => !/WebSocket|socket\.io|ERR_CONNECTION/i.test(problem))).toEqual([]);
});
