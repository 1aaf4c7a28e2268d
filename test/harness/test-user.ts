import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const TEST_USER = 'fleettest';
export const TEST_PASSWORD = 'fleet-Test-pw-7731';

/**
 * Concurrent suites (separate vitest workers) race here: useradd fails with "already
 * exists" for the loser, and useradd/chpasswd fail while another holds the /etc/passwd
 * or /etc/shadow lock. All of those clear up by retrying.
 */
const ATTEMPTS = 50;
const RETRY_DELAY_MS = 100;

let ensured: Promise<void> | undefined;

/** Creates the local login used by the real sshd, once per test process. */
export function ensureTestUser(): Promise<void> {
  ensured ??= createUserIfMissing().then(setPassword);
  return ensured;
}

async function createUserIfMissing(): Promise<void> {
  await retrying(async () => {
    if (await userExists()) return;
    await run('useradd', ['-m', '-s', '/bin/bash', TEST_USER]);
  });
}

async function setPassword(): Promise<void> {
  // SHA512 rather than the distro's default yescrypt: yescrypt is deliberately expensive
  // per verification, which makes many concurrent logins slow.
  await retrying(async () => {
    const chpasswd = run('chpasswd', ['-c', 'SHA512']);
    chpasswd.child.stdin?.end(`${TEST_USER}:${TEST_PASSWORD}\n`);
    await chpasswd;
  });
}

async function userExists(): Promise<boolean> {
  try {
    await run('id', ['-u', TEST_USER]);
    return true;
  } catch {
    return false;
  }
}

async function retrying(step: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (attempt === ATTEMPTS) throw error;
      await delay(RETRY_DELAY_MS);
    }
  }
}
