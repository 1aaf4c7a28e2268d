/**
 * The bench's handles on the crowd's two kinds of process: the echo target
 * and a crowd client per fleet. Both are forked from the built dist/, talk
 * over IPC, and are SIGKILLed if the bench exits without stopping them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onProcessExit } from '../../test/harness/exit-cleanup.js';
import { signalQuietly } from '../../test/harness/process-signals.js';
import type { ShellTarget } from '../shell.js';
import type { CrowdCommand, CrowdReply, CrowdRequest, GrowResult, TargetAnnouncement, TypingResult } from './crowd-protocol.js';

const TARGET_ENTRY = fileURLToPath(new URL('./echo-target.js', import.meta.url));
const CLIENT_ENTRY = fileURLToPath(new URL('./crowd-client.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;

interface Child {
  process: ChildProcess;
  stop: () => Promise<void>;
}

/** Thousands of sockets per process: the crowd's processes get room for them. */
function forkChild(entry: string): Child {
  const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=4096'] });
  const unregister = onProcessExit(() => signalQuietly(child.pid, 'SIGKILL'));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    stop: async () => {
      // Going away is the signal to stop (the child listens for 'disconnect'); SIGKILL if it lingers.
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => signalQuietly(child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      unregister();
    },
  };
}

export interface EchoTarget {
  target: ShellTarget;
  pid: number;
  stop: () => Promise<void>;
}

export async function startEchoTarget(): Promise<EchoTarget> {
  const child = forkChild(TARGET_ENTRY);
  const target = await new Promise<TargetAnnouncement>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the crowd echo target did not start')), START_TIMEOUT_MS);
    child.process.once('message', (message) => {
      clearTimeout(timer);
      resolve(message as TargetAnnouncement);
    });
    child.process.once('exit', (code) => reject(new Error(`the crowd echo target exited (code ${code})`)));
  });
  return { target, pid: child.process.pid!, stop: child.stop };
}

export interface CrowdClient {
  pid: number;
  grow(to: number, timeoutMs: number): Promise<GrowResult>;
  type(rate: number, durationMs: number): Promise<TypingResult>;
  stop(): Promise<void>;
}

export async function startCrowdClient(url: string, target: ShellTarget): Promise<CrowdClient> {
  const child = forkChild(CLIENT_ENTRY);
  const waiting = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  child.process.on('message', (raw) => {
    const reply = raw as CrowdReply;
    const request = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (reply.ok) request?.resolve(reply.result);
    else request?.reject(new Error(`crowd client: ${reply.error}`));
  });
  child.process.once('exit', (code, signal) => {
    for (const request of waiting.values()) request.reject(new Error(`crowd client exited (${signal ?? `code ${code}`})`));
    waiting.clear();
  });
  const ask = <T>(request: CrowdCommand, timeoutMs: number): Promise<T> => {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`crowd client: no answer to ${request.kind} within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      const settle = { resolve: (result: unknown) => (clearTimeout(timer), resolve(result as T)), reject: (error: Error) => (clearTimeout(timer), reject(error)) };
      waiting.set(id, settle);
      child.process.send({ ...request, id } satisfies CrowdRequest);
    });
  };
  await ask<null>({ kind: 'start', url, target }, START_TIMEOUT_MS);
  return {
    pid: child.process.pid!,
    grow: (to, timeoutMs) => ask<GrowResult>({ kind: 'grow', to }, timeoutMs),
    // The typing itself, plus the time the client gives the last echoes.
    type: (rate, durationMs) => ask<TypingResult>({ kind: 'type', rate, durationMs }, durationMs + 30_000),
    stop: () => child.stop(),
  };
}
