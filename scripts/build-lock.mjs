// One build at a time on a checkout: `npm run build`, and a role's first
// start on a fresh clone, take this lock; whoever finds it taken waits for
// the build under way instead of writing dist/ beside it. A lock whose
// holder died is taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const LOCK = 'node_modules/.cache/webssh-fleet/build.lock';
const WAIT_LIMIT_MS = 10 * 60_000;

function holderAlive() {
  let pid;
  try {
    pid = Number(readFileSync(LOCK, 'utf8'));
  } catch {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tryTake() {
  try {
    writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
    if (holderAlive()) return false;
    rmSync(LOCK, { force: true });
    return tryTake();
  }
}

/** Runs `work` holding the lock; `waited` says whether another build ran meanwhile. */
export async function withBuildLock(work) {
  mkdirSync('node_modules/.cache/webssh-fleet', { recursive: true });
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let waited = false;
  while (!tryTake()) {
    if (Date.now() > deadline) throw new Error(`${LOCK} is held by a build that does not finish`);
    waited = true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  try {
    return await work(waited);
  } finally {
    rmSync(LOCK, { force: true });
  }
}
