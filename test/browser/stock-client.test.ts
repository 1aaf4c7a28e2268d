/**
 * The stock WebSSH2 browser client (the webssh2_client package's page,
 * unchanged) served by our gateway with FLEET_CLIENT_DIR, driven in
 * Chromium: its login form, its Basic-auth auto-connect, and a shell.
 * What it sends and expects must be served, or these fail.
 */
import type { Browser } from 'playwright-core';
import webssh2Client from 'webssh2_client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, saveScreenshot, waitForScreenText } from '../harness/browser.js';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

const stockClientDir = webssh2Client.getPublicPath();

let sshd: SshdHandle;
let fleet: Fleet;
let browser: Browser;

beforeAll(async () => {
  [sshd, browser] = await Promise.all([startSshd(), launchChromium()]);
  fleet = await startFleet('cluster', { gateways: 2, workers: 1, env: { FLEET_CLIENT_DIR: stockClientDir } });
});
afterAll(async () => {
  await browser?.close();
  await fleet?.stop();
  await sshd?.stop();
});

describe('the stock WebSSH2 client', () => {
  it('logs in through its own form and runs a command', async () => {
    const { page, problems, context } = await openPage(browser, `${fleet.urls[0]}/ssh`);
    // The client renders its form again once it has read /ssh/config; fill it after that.
    await page.waitForLoadState('networkidle');
    await page.locator('#hostInput').fill(sshd.host);
    await page.locator('#portInput').fill(String(sshd.port));
    await page.locator('#usernameInput').fill(sshd.user);
    await page.locator('#passwordInput').fill(sshd.password);
    await page.getByRole('button', { name: 'Connect' }).click();
    await waitForScreenText(page, `${sshd.user}@`).catch(async (error: unknown) => {
      await saveScreenshot(page, 'stock-webssh2-client-failure');
      throw error;
    });
    await page.keyboard.type('echo stock-$((40+2))\n');
    await waitForScreenText(page, 'stock-42');
    await saveScreenshot(page, 'stock-webssh2-client');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('auto-connects from the Basic-auth route', async () => {
    const { page, problems, context } = await openPage(browser, `${fleet.urls[1]}/ssh/host/${sshd.host}?port=${sshd.port}`, {
      httpCredentials: { username: sshd.user, password: sshd.password },
    });
    await waitForScreenText(page, `${sshd.user}@`);
    await page.keyboard.type('echo basic-$((40+3))\n');
    await waitForScreenText(page, 'basic-43');
    expect(problems).toEqual([]);
    await context.close();
  });
});
