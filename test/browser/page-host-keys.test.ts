/**
 * Host key verification as a person meets it in our page, in Chromium
 * against the all-in-one process and real sshds: the dialog for an unknown
 * key (its fingerprint, Accept, Reject), and the warning over the login form
 * when a key has changed.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, saveScreenshot, waitForTerminalLine, type OpenedPage } from '../harness/browser.js';
import { generateEd25519KeyPair } from '../harness/ed25519-key.js';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

/** OpenSSH's fingerprint of a public key line, computed here. */
function fingerprintOf(publicKeyLine: string): string {
  const digest = createHash('sha256').update(Buffer.from(publicKeyLine.split(' ')[1]!, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

let dir: string;
/** Unknown at first: the page asks. */
let fresh: SshdHandle;
/** Seeded with another key. */
let impostor: SshdHandle;
const wrongKey = generateEd25519KeyPair().public;
let fleet: Fleet;
let browser: Browser;
const opened: OpenedPage[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-page-host-keys-'));
  [fresh, impostor, browser] = await Promise.all([startSshd(), startSshd(), launchChromium()]);
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, `[${impostor.host}]:${impostor.port} ${wrongKey}\n`);
  fleet = await startFleet('all-in-one', {
    env: { WEBSSH2_SSH_HOSTKEY_ENABLED: 'true', WEBSSH2_SSH_HOSTKEY_UNKNOWN_ACTION: 'prompt', FLEET_SSH_KNOWN_HOSTS: knownHosts },
  });
});
afterAll(async () => {
  for (const { context } of opened) await context.close().catch(() => undefined);
  await browser?.close();
  await fleet?.stop();
  await Promise.all([fresh?.stop(), impostor?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function openLogin(target: SshdHandle): Promise<OpenedPage> {
  const result = await openPage(browser, `${fleet.urls[0]}/ssh`);
  opened.push(result);
  const { page } = result;
  await page.getByLabel('Host').fill(target.host);
  await page.getByLabel('Port').fill(String(target.port));
  await page.getByLabel('Username').fill(target.user);
  await page.getByLabel('Password', { exact: true }).fill(target.password);
  await page.getByRole('button', { name: 'Connect' }).click();
  return result;
}

const dialog = (page: Page) => page.locator('#hostkey-dialog');

describe('host keys in our page', () => {
  it('asks about an unknown key with its fingerprint; Reject refuses, Accept logs in', async () => {
    const first = await openLogin(fresh);
    await dialog(first.page).waitFor({ state: 'visible', timeout: 20_000 });
    expect(await first.page.locator('#hostkey-fingerprint').textContent()).toBe(fingerprintOf(fresh.hostPublicKey));
    expect(await first.page.locator('#hostkey-host').textContent()).toBe(fresh.host);
    expect(await first.page.locator('#hostkey-port').textContent()).toBe(String(fresh.port));
    expect(await first.page.locator('#hostkey-algorithm').textContent()).toBe('ssh-ed25519');
    await saveScreenshot(first.page, 'page-host-key-prompt');
    await first.page.getByRole('button', { name: 'Reject' }).click();
    await expect.poll(() => first.page.locator('#login-error').textContent(), { timeout: 20_000 }).toMatch(/was not accepted: refusing to connect/);
    expect(await dialog(first.page).isVisible()).toBe(false);

    const second = await openLogin(fresh);
    await dialog(second.page).waitFor({ state: 'visible', timeout: 20_000 });
    await second.page.getByRole('button', { name: 'Accept' }).click();
    await expect.poll(() => second.page.locator('#status').textContent(), { timeout: 20_000 }).toBe('Connected');
    await waitForTerminalLine(second.page, /\$ ?$/);
    expect(second.problems).toEqual([]);
  });

  it('warns over the login form when a key has changed, and does not ask', async () => {
    const { page, problems } = await openLogin(impostor);
    await expect.poll(() => page.locator('#login-notice').textContent(), { timeout: 20_000 }).toMatch(/WARNING: the host key of .* has changed/);
    expect(await page.locator('#login-notice').textContent()).toContain(fingerprintOf(wrongKey));
    expect(await page.locator('#login-error').textContent()).toBe(
      `Host key for ${impostor.host}:${impostor.port} has changed (expected ${fingerprintOf(wrongKey)}, got ${fingerprintOf(impostor.hostPublicKey)}): refusing to connect`,
    );
    expect(await dialog(page).isVisible()).toBe(false);
    await saveScreenshot(page, 'page-host-key-changed');
    expect(problems).toEqual([]);
  });
});
