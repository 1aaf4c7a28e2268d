/**
 * Our page in Chromium against the all-in-one process and real SSH targets:
 * the login form, a shell read back from xterm.js's buffer, resizing, a
 * keyboard-interactive second factor through the dialog, a wrong password,
 * the Basic-auth route, the session log download, settings that persist,
 * and screenshots of the login form and a live terminal as artifacts.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, saveScreenshot, terminalLines, waitForTerminalLine, type OpenedPage } from '../harness/browser.js';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { startScriptedSshServer, type ScriptedServerHandle } from '../harness/scripted-ssh-server.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

let sshd: SshdHandle;
let twoFactor: ScriptedServerHandle;
let fleet: Fleet;
let browser: Browser;
const opened: OpenedPage[] = [];

beforeAll(async () => {
  [sshd, twoFactor, browser] = await Promise.all([startSshd(), startScriptedSshServer('two-factor'), launchChromium()]);
  fleet = await startFleet('all-in-one', { env: { WEBSSH2_SSH_READY_TIMEOUT: '12000' } });
});
afterAll(async () => {
  for (const { context } of opened) await context.close().catch(() => undefined);
  await browser?.close();
  await fleet?.stop();
  await Promise.all([sshd?.stop(), twoFactor?.stop()]);
});

async function open(path: string, options: Parameters<typeof openPage>[2] = {}): Promise<OpenedPage> {
  const page = await openPage(browser, `${fleet.urls[0]}${path}`, options);
  opened.push(page);
  return page;
}

async function fillLogin(page: Page, target: { host: string; port: number; user: string; password: string }): Promise<void> {
  await page.getByLabel('Host').fill(target.host);
  await page.getByLabel('Port').fill(String(target.port));
  await page.getByLabel('Username').fill(target.user);
  await page.getByLabel('Password', { exact: true }).fill(target.password);
  await page.getByRole('button', { name: 'Connect' }).click();
}

/** Types into the terminal (xterm.js reads keys from its hidden textarea). */
async function typeInTerminal(page: Page, text: string): Promise<void> {
  await page.locator('#terminal .xterm-helper-textarea').focus();
  await page.keyboard.type(text);
}

async function loggedInShell(path = '/ssh'): Promise<OpenedPage> {
  const opened = await open(path);
  await fillLogin(opened.page, sshd);
  await expect.poll(() => opened.page.locator('#status').textContent(), { timeout: 20_000 }).toBe('Connected');
  await waitForTerminalLine(opened.page, /\$ ?$/);
  return opened;
}

describe('our page', () => {
  it('logs in through the form and shows the shell in xterm.js', async () => {
    const { page, problems } = await open('/ssh');
    expect(await page.getByRole('button', { name: 'Connect' }).isVisible()).toBe(true);
    await saveScreenshot(page, 'page-login-form');
    await fillLogin(page, sshd);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 20_000 }).toBe('Connected');
    await waitForTerminalLine(page, /\$ ?$/);
    await typeInTerminal(page, 'echo page-$((6*7))\r');
    await waitForTerminalLine(page, /^page-42$/);
    expect(await page.locator('#footer').textContent()).toContain(`ssh://${sshd.host}:${sshd.port}`);
    expect(await page.locator('#login-form').isVisible()).toBe(false);
    await saveScreenshot(page, 'page-live-terminal');
    expect(problems).toEqual([]);
  });

  it('tells the SSH session when the window is resized', async () => {
    const { page } = await loggedInShell();
    await typeInTerminal(page, 'stty size\r');
    const before = await waitForTerminalLine(page, /^\d+ \d+$/);
    await page.setViewportSize({ width: 1400, height: 900 });
    await expect
      .poll(
        async () => {
          await typeInTerminal(page, 'stty size\r');
          await new Promise((resolve) => setTimeout(resolve, 300));
          return (await terminalLines(page)).filter((line) => /^\d+ \d+$/.test(line)).at(-1);
        },
        { timeout: 10_000 },
      )
      .not.toBe(before);
    const [rowsBefore, colsBefore] = before.split(' ').map(Number) as [number, number];
    const [rowsAfter, colsAfter] = (await terminalLines(page)).filter((line) => /^\d+ \d+$/.test(line)).at(-1)!.split(' ').map(Number) as [number, number];
    expect(rowsAfter).toBeGreaterThan(rowsBefore);
    expect(colsAfter).toBeGreaterThan(colsBefore);
    const terminal = await page.evaluate(() => {
      const term = (globalThis as unknown as { fleetTerminal: { rows: number; cols: number } }).fleetTerminal;
      return `${term.rows} ${term.cols}`;
    });
    expect(terminal).toBe(`${rowsAfter} ${colsAfter}`);
  });

  it('asks for a second factor in a dialog and logs in with the answer', async () => {
    const { page, problems } = await open('/ssh');
    await fillLogin(page, twoFactor);
    const dialog = page.locator('#prompt-dialog');
    await expect.poll(() => dialog.isVisible(), { timeout: 20_000 }).toBe(true);
    const field = dialog.getByRole('textbox').or(dialog.locator('input')).first();
    await field.fill(twoFactor.otp);
    await saveScreenshot(page, 'page-two-factor-dialog');
    await dialog.getByRole('button', { name: /submit|ok|continue/i }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 20_000 }).toBe('Connected');
    await typeInTerminal(page, 'size\r');
    await waitForTerminalLine(page, /^\d+ \d+$/);
    expect(problems).toEqual([]);
  });

  it('shows a wrong password as a login error and keeps the form', async () => {
    const { page } = await open('/ssh');
    await fillLogin(page, { ...sshd, password: 'certainly-not-it' });
    const error = page.locator('#login-error');
    await expect.poll(() => error.textContent(), { timeout: 30_000 }).toMatch(/auth/i);
    expect(await page.getByRole('alert').count()).toBeGreaterThan(0);
    expect(await page.locator('#login-form').isVisible()).toBe(true);
  });

  it('logs in from the Basic-auth route without showing a form', async () => {
    const { page, context, problems } = await open(`/ssh/host/${sshd.host}?port=${sshd.port}`, {
      httpCredentials: { username: sshd.user, password: sshd.password },
    });
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 20_000 }).toBe('Connected');
    await waitForTerminalLine(page, /\$ ?$/);
    await typeInTerminal(page, 'echo basic-$((40+3))\r');
    await waitForTerminalLine(page, /^basic-43$/);
    // The socket's handshake cleared the single-use hand-off cookie.
    expect((await context.cookies()).map((cookie) => cookie.name)).not.toContain('wsf_handoff');
    expect(await page.content()).not.toContain(sshd.password);
    expect(problems).toEqual([]);
  });

  it('records a session log and downloads it as text', async () => {
    const { page } = await loggedInShell();
    await page.locator('#menu-button').click();
    await page.getByRole('menuitem', { name: 'Start log' }).or(page.getByRole('button', { name: 'Start log' })).click();
    await typeInTerminal(page, 'printf "\\033[1;31mlogged-%s\\033[0m\\n" $((1+1))\r');
    await waitForTerminalLine(page, /^logged-2$/);
    await page.locator('#menu-button').click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('menuitem', { name: 'Download log' }).or(page.getByRole('button', { name: 'Download log' })).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.log$/);
    const text = await readFile(await download.path(), 'utf8');
    expect(text).toMatch(/^logged-2\r?$/m);
    expect(text).not.toContain('\u001b[');
  });

  it('keeps font settings across reloads', async () => {
    const { page } = await open('/ssh');
    await page.locator('#menu-button').click();
    await page.getByRole('menuitem', { name: 'Settings' }).or(page.getByRole('button', { name: 'Settings' })).click();
    await page.locator('#font-size').fill('19');
    await page.locator('#font-size').dispatchEvent('change');
    await page.locator('#theme').selectOption('light');
    await page.reload();
    const fontSize = await page.evaluate(() => (globalThis as unknown as { fleetTerminal: { options: { fontSize: number } } }).fleetTerminal.options.fontSize);
    expect(fontSize).toBe(19);
  });

  it('replays the login password into the shell from the menu', async () => {
    const { page } = await loggedInShell();
    await typeInTerminal(page, 'read -rs secret; echo "replayed-length=${#secret}"\r');
    await page.locator('#menu-button').click();
    await page.getByRole('menuitem', { name: 'Replay credentials' }).click();
    await waitForTerminalLine(page, new RegExp(`^replayed-length=${sshd.password.length}$`));
  });

  it('finds text in the scrollback and takes the window title from the terminal', async () => {
    const { page } = await loggedInShell();
    // The sleep holds off the prompt, whose PROMPT_COMMAND retitles the window as user@host.
    await typeInTerminal(page, 'echo needle-$((700+77)); printf "\\033]0;fleet-%s\\007" title; sleep 2\r');
    await waitForTerminalLine(page, /^needle-777$/);
    await expect.poll(() => page.title()).toBe('fleet-title');
    await expect.poll(() => page.title(), { timeout: 5_000 }).toMatch(new RegExp(`^${sshd.user}@`));
    await page.locator('#menu-button').click();
    await page.getByRole('menuitem', { name: 'Search' }).click();
    await page.getByLabel('Search').fill('NEEDLE-7');
    await page.getByLabel('Search').press('Enter');
    // The page handles keys in its own time, and on a loaded machine the search box may not have taken
    // the text before Enter arrived: look for the selection, and press Enter again while there is none.
    const selection = () => page.evaluate(() => (globalThis as unknown as { fleetTerminal: { getSelection(): string } }).fleetTerminal.getSelection());
    await expect
      .poll(
        async () => {
          const selected = await selection();
          if (!selected) await page.getByLabel('Search').press('Enter');
          return selected.toLowerCase();
        },
        { timeout: 10_000 },
      )
      .toBe('needle-7');
  });

  it('offers a fresh login when the shell ends', async () => {
    const { page } = await loggedInShell();
    await typeInTerminal(page, 'exit 3\r');
    await expect.poll(() => page.locator('#login-form').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.locator('#status').textContent()).toBe('Session ended');
    expect(await page.getByLabel('Host').inputValue()).toBe(sshd.host);
    await page.getByLabel('Password', { exact: true }).fill(sshd.password);
    await page.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 20_000 }).toBe('Connected');
    await typeInTerminal(page, 'echo again-$((2*2))\r');
    await waitForTerminalLine(page, /^again-4$/);
  });
});
