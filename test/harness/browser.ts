/**
 * Debian's Chromium, driven by playwright-core: never a downloaded browser.
 * Each test gets a fresh context (no shared cookies or storage); console
 * errors and failed page scripts are collected so a test can assert that
 * the page ran cleanly.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/**
 * What the snippets below use of the page's globals; they run in Chromium,
 * while this file is type-checked for Node.
 */
interface PageGlobals {
  fleetTerminal: { buffer: { active: { length: number; getLine(i: number): { translateToString(trim: boolean): string } | undefined } } };
  statusHistory: string[];
  document: {
    getElementById(id: string): { textContent: string | null } | null;
    querySelector(selector: string): { textContent: string | null } | null;
  };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void };
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions, as text. */
  problems: string[];
}

export async function openPage(browser: Browser, url: string, options: BrowserContextOptions = {}): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 }, acceptDownloads: true, ...options });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.goto(url);
  return { context, page, problems };
}

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** The terminal's whole buffer (scrollback and screen) as lines, read from xterm.js itself. */
export function terminalLines(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const buffer = (globalThis as unknown as PageGlobals).fleetTerminal.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    return lines;
  });
}

/** Waits until some terminal line matches. */
export async function waitForTerminalLine(page: Page, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = (await terminalLines(page)).find((text) => pattern.test(text));
    if (line !== undefined) return line;
    if (Date.now() > deadline) {
      const tail = (await terminalLines(page)).filter(Boolean).slice(-10);
      throw new Error(`no terminal line matched ${pattern} within ${timeoutMs} ms; last lines:\n  ${tail.join('\n  ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Records every text `#status` shows, from now on: some states (a
 * reconnect through a live gateway) last only tens of milliseconds.
 */
export async function recordStatusTexts(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const page = globalThis as unknown as PageGlobals;
    const status = page.document.getElementById('status')!;
    const seen: string[] = [status.textContent ?? ''];
    page.statusHistory = seen;
    new page.MutationObserver(() => seen.push(status.textContent ?? '')).observe(status, { childList: true, characterData: true, subtree: true });
  });
  return () => page.evaluate(() => (globalThis as unknown as PageGlobals).statusHistory);
}

/**
 * Waits until the text xterm.js's DOM renderer shows on screen contains
 * `text`: for pages (the stock WebSSH2 client) that expose no terminal object.
 */
export async function waitForScreenText(page: Page, text: string, timeoutMs = 20_000): Promise<void> {
  await page.waitForFunction(
    (expected) => (globalThis as unknown as PageGlobals).document.querySelector('.xterm-rows')?.textContent?.includes(expected) ?? false,
    text,
    { timeout: timeoutMs },
  );
}
