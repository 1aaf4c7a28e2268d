/** Everything one run measured, as written to .bench-results/<timestamp>.json. */
import type { MachineInfo } from './machine.js';
import type { EchoResult } from './scenarios/echo-latency.js';
import type { CrowdConfig, CrowdResult } from './scenarios/crowd.js';
import type { ResumeResult } from './scenarios/resume.js';
import type { SessionSetupResult } from './scenarios/session-setup.js';
import type { ThroughputResult } from './scenarios/throughput.js';

/** direct: ssh2 from the bench; cluster: 1 gateway + 1 worker + redis; all-in-one: `npm start`. */
export type Variant = 'direct' | 'cluster' | 'cluster-no-ack' | 'all-in-one';

/** A result with where it ran: its round, and its place in that round's order. */
export type Sample<R> = R & { round: number; position: number };

export type ByVariant<R> = Partial<Record<Variant, Sample<R>[]>>;

export interface ScenarioResults {
  throughput: ByVariant<ThroughputResult>;
  echo: ByVariant<EchoResult>;
  sessions: ByVariant<SessionSetupResult>;
}

/** What BENCH_ONLY selects from. */
export const SCENARIOS = ['throughput', 'echo', 'sessions', 'resume', 'crowd'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchConfig {
  /** The scenarios this run ran (BENCH_ONLY), in run order. */
  scenarios: ScenarioName[];
  rounds: number;
  megabytes: number;
  sessions: number;
  echoWarmup: number;
  echoSamples: number;
  allInOne: boolean;
  /** Recorded gateway SIGKILLs in the resume scenario, and the gateways in its cluster. */
  kills: number;
  resumeGateways: number;
  crowd: CrowdConfig;
  /** Environment every fleet process ran with. */
  fleetEnv: Record<string, string>;
}

export interface BenchResults extends ScenarioResults {
  date: string;
  durationSeconds: number;
  machine: MachineInfo;
  config: BenchConfig;
  /** One run of the resume scenario (it has no variants and no rounds: its samples are the kills). */
  resume?: ResumeResult;
  /** One run of the crowd scenario (its rounds are inside). */
  crowd?: CrowdResult;
  /** The unrecorded first round of each scenario (smaller), kept for inspection. */
  warmup: ScenarioResults;
}
