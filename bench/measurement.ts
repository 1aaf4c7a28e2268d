/**
 * One measurement: a scenario, a client and its parameters. The bench runs
 * each measurement in a fresh Node process (measure.ts), so no variant
 * inherits the JIT state, heap or leftover sockets of the one before it.
 */
import type { Pids } from './process-usage.js';
import type { EchoResult } from './scenarios/echo-latency.js';
import type { SessionSetupResult } from './scenarios/session-setup.js';
import type { ThroughputResult } from './scenarios/throughput.js';
import type { ShellTarget } from './shell.js';

export type ClientSpec = { kind: 'direct' } | { kind: 'fleet'; url: string; acks: boolean };

interface Common {
  target: ShellTarget;
  client: ClientSpec;
  /** Processes whose CPU or memory the scenario reads, by role. */
  pids: Pids;
  /** The sshd listener: once it has no children left, every session has really ended. */
  sshdPid: number;
}

/** What a scenario measures and how much of it; `timeoutMs` bounds the measured part. */
export type ScenarioParameters =
  | { scenario: 'throughput'; bytes: number; timeoutMs: number }
  | { scenario: 'echo'; warmup: number; samples: number; timeoutMs: number }
  | { scenario: 'sessions'; sessions: number; timeoutMs: number };

export type Measurement = Common & ScenarioParameters;

export type ResultOf<M extends Measurement['scenario']> = M extends 'throughput'
  ? ThroughputResult
  : M extends 'echo'
    ? EchoResult
    : SessionSetupResult;

export type MeasurementResult = ThroughputResult | EchoResult | SessionSetupResult;

export type Reply = { ok: true; result: MeasurementResult } | { ok: false; error: string };
