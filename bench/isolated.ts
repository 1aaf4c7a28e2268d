/**
 * Runs a measurement in a fresh Node process (measure.js) and returns its
 * result. A measurement that neither finishes nor fails by `timeoutMs` is
 * killed and reported, so a stalled session cannot hang the bench.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onProcessExit } from '../test/harness/exit-cleanup.js';
import { signalQuietly } from '../test/harness/process-signals.js';
import type { Measurement, MeasurementResult, Reply } from './measurement.js';

const ENTRY = fileURLToPath(new URL('./measure.js', import.meta.url));
const STDERR_TAIL_CHARS = 2_000;

export function runIsolated(measurement: Measurement, timeoutMs: number, label: string): Promise<MeasurementResult> {
  const child = fork(ENTRY, [], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  const unregister = onProcessExit(() => signalQuietly(child.pid, 'SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_CHARS);
  });
  return new Promise<MeasurementResult>((resolve, reject) => {
    let reply: Reply | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label}: no result within ${Math.round(timeoutMs / 1000)} s (measurement killed)${stderr && `\n${stderr}`}`));
    }, timeoutMs);
    child.once('message', (message) => (reply = message as Reply));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      unregister();
      if (reply?.ok) resolve(reply.result);
      else if (reply) reject(new Error(`${label}: ${reply.error}`));
      else reject(new Error(`${label}: measurement process exited (${signal ?? `code ${code}`}) without a result${stderr && `\n${stderr}`}`));
    });
    child.send(measurement);
  });
}
