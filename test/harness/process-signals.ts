import { readdirSync, readFileSync } from 'node:fs';

/**
 * SIGKILLs `rootPid` and every descendant. Daemons such as sshd fork per-connection
 * children that outlive the listener and get reparented once their parent dies, so the
 * whole tree is first frozen with SIGSTOP (a stopped process cannot fork) until a scan
 * finds no newcomers, and only then killed. Synchronous so it also works in 'exit' hooks.
 */
export function killProcessTree(rootPid: number): void {
  const frozen = new Set<number>();
  let fresh = [rootPid];
  while (fresh.length > 0) {
    for (const pid of fresh) {
      signalQuietly(pid, 'SIGSTOP');
      frozen.add(pid);
    }
    // SIGSTOP takes effect asynchronously; a process still running could fork after the scan.
    for (const pid of fresh) waitUntilStopped(pid);
    fresh = descendantPids(rootPid).filter((pid) => !frozen.has(pid));
  }
  for (const pid of frozen) signalQuietly(pid, 'SIGKILL');
}

/** For cleanup paths, where the process having exited already is the expected case. */
export function signalQuietly(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

const STOP_CHECKS = 10_000;

function waitUntilStopped(pid: number): void {
  for (let check = 0; check < STOP_CHECKS; check++) {
    const state = readStat(pid)?.state;
    // T: stopped; Z or gone: can no longer fork either.
    if (state === undefined || state === 'T' || state === 'Z') return;
  }
}

function descendantPids(rootPid: number): number[] {
  const childrenByParent = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = readStat(Number(entry))?.parentPid;
    if (parent === undefined) continue;
    const siblings = childrenByParent.get(parent) ?? [];
    siblings.push(Number(entry));
    childrenByParent.set(parent, siblings);
  }
  const found: number[] = [];
  const pending = [rootPid];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    for (const child of childrenByParent.get(pid) ?? []) {
      found.push(child);
      pending.push(child);
    }
  }
  return found;
}

function readStat(pid: number): { state: string; parentPid: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // already gone
  }
  // The command name in parentheses may itself contain spaces or ')', so parse after the last ')'.
  const [state, parentPid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return state === undefined ? undefined : { state, parentPid: Number(parentPid) };
}
