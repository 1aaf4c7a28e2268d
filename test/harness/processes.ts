import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { onProcessExit } from './exit-cleanup.js';
import { signalQuietly } from './process-signals.js';

export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

export interface ServiceProcess {
  name: string;
  pid: number;
  /** Every stdout and stderr line so far, interleaved in arrival order. */
  logs: string[];
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<ProcessExit>;
  exited: Promise<ProcessExit>;
}

/**
 * Grandchildren that inherited our stdio (e.g. sshd's per-connection processes) can hold
 * the pipes open long after the process itself is gone; waiting this long for the last
 * output lines is enough without letting such pipes stall `exited` indefinitely.
 */
const OUTPUT_DRAIN_GRACE_MS = 1_000;
const LOG_LINES_IN_ERRORS = 30;

/** Runs one of our services (a built JS entry point) under the current Node binary, with `nodeArgs` (e.g. --cpu-prof) before it. */
export function spawnService(name: string, entry: string, env: Record<string, string>, nodeArgs: readonly string[] = []): ServiceProcess {
  return spawnProcess(name, process.execPath, [...nodeArgs, entry], env);
}

/** Runs any executable with captured output and exit-time cleanup. */
export function spawnProcess(
  name: string,
  command: string,
  args: readonly string[],
  env: Record<string, string> = {},
): ServiceProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const lineListeners = new Set<(line: string) => void>();
  const recordLine = (line: string): void => {
    logs.push(line);
    for (const listener of lineListeners) listener(line);
  };
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', recordLine);
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', recordLine);

  const unregisterCleanup = onProcessExit(() => signalQuietly(child.pid, 'SIGKILL'));
  const processGone = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A failed spawn (e.g. ENOENT) emits 'error' and never 'exit'.
    child.once('error', (error) => {
      recordLine(`[harness] failed to run ${command}: ${error.message}`);
      resolve({ code: null, signal: null });
    });
  });
  const outputClosed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exited = processGone.then(async (status) => {
    unregisterCleanup();
    await Promise.race([outputClosed, delay(OUTPUT_DRAIN_GRACE_MS)]);
    return status;
  });

  const handle: ServiceProcess = {
    name,
    pid: child.pid ?? -1,
    logs,
    exited,
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    waitForLog(pattern, timeoutMs = 10_000) {
      const earlier = logs.find((line) => line.search(pattern) !== -1);
      if (earlier !== undefined) return Promise.resolve(earlier);
      return new Promise<string>((resolve, reject) => {
        const finish = (outcome: () => void): void => {
          lineListeners.delete(onLine);
          clearTimeout(timer);
          outcome();
        };
        const onLine = (line: string): void => {
          if (line.search(pattern) !== -1) finish(() => resolve(line));
        };
        const timer = setTimeout(
          () => finish(() => reject(processError(handle, `no log line matched ${pattern} within ${timeoutMs}ms`))),
          timeoutMs,
        );
        lineListeners.add(onLine);
        void exited.then((status) => {
          if (lineListeners.has(onLine)) {
            finish(() => reject(processError(handle, `exited (${describeExit(status)}) before logging ${pattern}`)));
          }
        });
      });
    },
  };
  return handle;
}

/**
 * Polls `isReady` until it returns true. Fails fast with the process's logs when the
 * process dies first (the usual cause being a port stolen between freePort and bind).
 */
export async function waitUntilReady(
  service: ServiceProcess,
  what: string,
  isReady: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  let exit: ProcessExit | undefined;
  void service.exited.then((status) => {
    exit = status;
  });
  const deadline = Date.now() + timeoutMs;
  while (!(await isReady())) {
    if (exit !== undefined) throw processError(service, `exited (${describeExit(exit)}) before ${what}`);
    if (Date.now() > deadline) throw processError(service, `not ${what} within ${timeoutMs}ms`);
    await delay(25);
  }
}

function processError(service: ServiceProcess, problem: string): Error {
  const recent = service.logs.slice(-LOG_LINES_IN_ERRORS).join('\n');
  return new Error(`${service.name} (pid ${service.pid}) ${problem}; recent output:\n${recent}`);
}

function describeExit({ code, signal }: ProcessExit): string {
  return signal === null ? `code ${code}` : `signal ${signal}`;
}
