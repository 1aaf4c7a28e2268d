/**
 * `npm run bench`: webssh-fleet against a direct ssh2 connection to the same
 * real OpenSSH sshd, on this machine.
 *
 *   throughput   one command prints BENCH_MB MB of base64; MB/s, and CPU
 *                ms per MB of the gateway, worker and redis-server
 *   echo         single keystrokes into bash, each timed to its echo;
 *                p50 and p99 over 1000 per round (after 50 warm-up)
 *   sessions     BENCH_SESSIONS logins at once, timed until every shell
 *                shows its prompt; RSS per session of each fleet process
 *
 * The fleet runs as a cluster (1 gateway + 1 worker + redis-server) at
 * LOG_LEVEL=warn, plus the all-in-one process as extra rows. Every scenario
 * starts with an unrecorded, smaller warm-up round; then each round runs
 * every variant once, in an order rotated every round, each in a fresh
 * process. The report (stdout) gives medians and the raw values; progress
 * goes to stderr; all raw values go to .bench-results/<timestamp>.json.
 *
 * Environment:
 *   BENCH_ROUNDS      recorded rounds per scenario (default 5)
 *   BENCH_MB          MB (10^6 bytes) of output per throughput measurement (default 200)
 *   BENCH_SESSIONS    concurrent sessions in the setup scenario (default 200)
 *   BENCH_ALL_IN_ONE  0 skips the all-in-one rows (default 1)
 *
 * With the defaults a run takes about 5 minutes on 2 cores.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startSshd, type SshdHandle } from '../test/harness/sshd.js';
import { startAllInOne, startCluster, type BenchFleet } from './fleet.js';
import { runIsolated } from './isolated.js';
import { describeMachine } from './machine.js';
import type { ClientSpec, Measurement, ResultOf, ScenarioParameters } from './measurement.js';
import type { Pids } from './process-usage.js';
import { renderReport } from './report.js';
import type { BenchConfig, BenchResults, ByVariant, ScenarioResults, Variant } from './results.js';
import type { ShellTarget } from './shell.js';

const ECHO_WARMUP = 50;
const ECHO_SAMPLES = 1000;
/** Warm-up rounds are smaller: they only need to get the JIT and the allocators going. */
const WARMUP_MB = 20;
const WARMUP_SESSIONS = 20;
const WARMUP_ECHO_SAMPLES = 200;
/** 1050 keystrokes take a few seconds; this only catches a session that stopped echoing. */
const ECHO_TIMEOUT_MS = 60_000;
/** Beyond the scenario's own limits: login, prompt and teardown of a measurement. */
const MEASUREMENT_SLACK_MS = 120_000;

function readConfig(): Omit<BenchConfig, 'fleetEnv'> {
  return {
    rounds: positiveNumber('BENCH_ROUNDS', 5, true),
    megabytes: positiveNumber('BENCH_MB', 200, false),
    sessions: positiveNumber('BENCH_SESSIONS', 200, true),
    echoWarmup: ECHO_WARMUP,
    echoSamples: ECHO_SAMPLES,
    allInOne: process.env.BENCH_ALL_IN_ONE !== '0',
  };
}

function positiveNumber(name: string, fallback: number, integer: boolean): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value > 0) || (integer && !Number.isInteger(value))) throw new Error(`${name}=${raw}: expected a positive ${integer ? 'integer' : 'number'}`);
  return value;
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** One variant of a scenario, and how to set up what it connects to. */
interface Contestant {
  variant: Variant;
  arrange(): Promise<Arrangement>;
}

interface Arrangement {
  client: ClientSpec;
  /** The processes whose CPU and memory count for this variant. */
  pids: Pids;
  /** Stops whatever arrange() started for this one measurement. */
  release(): Promise<void>;
}

const nothingToRelease = async (): Promise<void> => {};

const direct: Contestant = {
  variant: 'direct',
  arrange: async () => ({ client: { kind: 'direct' }, pids: {}, release: nothingToRelease }),
};

/** A variant served by a fleet that lives for the whole run. */
function onFleet(variant: Variant, fleet: BenchFleet, acks: boolean): Contestant {
  return {
    variant,
    arrange: async () => ({ client: { kind: 'fleet', url: fleet.url, acks }, pids: fleet.pids, release: nothingToRelease }),
  };
}

/**
 * A variant served by a cluster started for each measurement. The session
 * setup scenario needs it: Node keeps the heap it grew in earlier
 * measurements, so in a long-lived cluster new sessions reuse that memory
 * and their RSS cost reads as almost nothing.
 */
function onFreshCluster(variant: Variant, env: Record<string, string>): Contestant {
  return {
    variant,
    arrange: async () => {
      const cluster = await startCluster(env);
      return { client: { kind: 'fleet', url: cluster.url, acks: true }, pids: cluster.pids, release: () => cluster.stop() };
    },
  };
}

type Scenario = ScenarioParameters['scenario'];
type ParametersOf<S extends Scenario> = Extract<ScenarioParameters, { scenario: S }>;

async function main(): Promise<void> {
  const started = Date.now();
  const date = new Date().toISOString();
  const base = readConfig();
  const fleetEnv: Record<string, string> = {
    LOG_LEVEL: 'warn',
    WEBSSH2_SSH_ALLOWED_SUBNETS: '127.0.0.1/32',
    // Room for every bench session plus warm-up stragglers on the one worker.
    FLEET_WORKER_MAX_SESSIONS: String(Math.max(500, base.sessions + 50)),
  };
  const config: BenchConfig = { ...base, fleetEnv };
  const machine = describeMachine();
  progress(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}; ${JSON.stringify(base)}`);

  const stops: Array<() => Promise<void>> = [];
  try {
    const sshd = await startSshd();
    stops.push(() => sshd.stop());
    const cluster = await startCluster(fleetEnv);
    stops.push(() => cluster.stop());
    let allInOne: BenchFleet | undefined;
    if (config.allInOne) {
      allInOne = await startAllInOne(fleetEnv);
      stops.push(() => allInOne!.stop());
    }

    const withAllInOne = (list: Contestant[]): Contestant[] => (allInOne ? [...list, onFleet('all-in-one', allInOne, true)] : list);

    const bytes = Math.round(config.megabytes * 1e6);
    const throughputTimeout = 30_000 + config.megabytes * 500; // at least 2 MB/s
    const sessionsTimeout = (count: number) => 30_000 + count * 500;
    const runner = new ScenarioRunner(sshd, config.rounds);

    const warmup = {} as ScenarioResults;
    const recorded = {} as ScenarioResults;
    const throughputField: Contestant[] = withAllInOne([direct, onFleet('cluster', cluster, true), onFleet('cluster-no-ack', cluster, false)]);
    [warmup.throughput, recorded.throughput] = await runner.run('throughput', throughputField,
      { scenario: 'throughput', bytes: Math.min(bytes, WARMUP_MB * 1e6), timeoutMs: throughputTimeout },
      { scenario: 'throughput', bytes, timeoutMs: throughputTimeout });
    const echoField = withAllInOne([direct, onFleet('cluster', cluster, true)]);
    [warmup.echo, recorded.echo] = await runner.run('echo', echoField,
      { scenario: 'echo', warmup: ECHO_WARMUP, samples: WARMUP_ECHO_SAMPLES, timeoutMs: ECHO_TIMEOUT_MS },
      { scenario: 'echo', warmup: ECHO_WARMUP, samples: ECHO_SAMPLES, timeoutMs: ECHO_TIMEOUT_MS });
    const sessionsField = [direct, onFreshCluster('cluster', fleetEnv)];
    const warmupSessions = Math.min(config.sessions, WARMUP_SESSIONS);
    [warmup.sessions, recorded.sessions] = await runner.run('sessions', sessionsField,
      { scenario: 'sessions', sessions: warmupSessions, timeoutMs: sessionsTimeout(warmupSessions) },
      { scenario: 'sessions', sessions: config.sessions, timeoutMs: sessionsTimeout(config.sessions) });

    const results: BenchResults = { date, durationSeconds: (Date.now() - started) / 1000, machine, config, warmup, ...recorded };
    const file = await saveResults(results);
    process.stdout.write(renderReport(results));
    progress(`raw values: ${file}`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error: Error) => progress(`cleanup: ${error.message}`));
  }
}

/** Runs a scenario's warm-up round, then its recorded rounds, every contestant once per round. */
class ScenarioRunner {
  constructor(
    private readonly sshd: SshdHandle,
    private readonly rounds: number,
  ) {}

  async run<S extends Scenario>(
    scenario: S,
    field: Contestant[],
    warmup: ParametersOf<S>,
    recorded: ParametersOf<S>,
  ): Promise<[ByVariant<ResultOf<S>>, ByVariant<ResultOf<S>>]> {
    const warm = await this.round(scenario, field, warmup, 0, 'warm-up');
    const results: ByVariant<ResultOf<S>> = {};
    for (let round = 1; round <= this.rounds; round++) {
      const outcome = await this.round(scenario, field, recorded, round, `round ${round}/${this.rounds}`);
      for (const [variant, samples] of Object.entries(outcome) as Array<[Variant, ByVariant<ResultOf<S>>[Variant]]>) {
        (results[variant] ??= []).push(...samples!);
      }
    }
    return [warm, results];
  }

  private async round<S extends Scenario>(scenario: S, field: Contestant[], parameters: ParametersOf<S>, round: number, label: string) {
    const results: ByVariant<ResultOf<S>> = {};
    // Rotating the order spreads any effect of going first or last evenly over the variants.
    const order = field.map((_, i) => field[(i + round) % field.length]!);
    for (const [position, contestant] of order.entries()) {
      const { client, pids, release } = await contestant.arrange();
      const measurement = { ...parameters, target: this.target(), client, pids, sshdPid: this.sshd.pid } as Measurement;
      const name = `${scenario} ${label} ${contestant.variant}`;
      try {
        const result = (await runIsolated(measurement, parameters.timeoutMs + MEASUREMENT_SLACK_MS, name)) as ResultOf<S>;
        progress(`${name}: ${summarize(result)}`);
        (results[contestant.variant] ??= []).push({ ...result, round, position });
      } finally {
        await release();
      }
    }
    return results;
  }

  private target(): ShellTarget {
    return { host: this.sshd.host, port: this.sshd.port, username: this.sshd.user, password: this.sshd.password };
  }
}

function summarize(result: ResultOf<Scenario>): string {
  if ('p50Ms' in result) return `p50 ${result.p50Ms.toFixed(3)} ms, p99 ${result.p99Ms.toFixed(3)} ms`;
  if ('readyMs' in result) return `${result.sessions} sessions in ${result.seconds.toFixed(2)} s`;
  const cpu = Object.entries(result.cpuMs).map(([role, ms]) => `${role} ${ms.toFixed(0)}`).join(', ');
  return `${(result.bytes / 1e6 / result.seconds).toFixed(1)} MB/s${cpu && `; CPU ms ${cpu}`}`;
}

async function saveResults(results: BenchResults): Promise<string> {
  const dir = join(process.cwd(), '.bench-results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${results.date.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

// Exit hooks of the harness kill what it started; a signal would skip them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().then(
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(`[bench] failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
