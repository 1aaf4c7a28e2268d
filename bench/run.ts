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
 *   resume       one session printing a timestamp every ~10 ms on a cluster
 *                of 1 worker + 3 gateways; the gateway carrying it is
 *                SIGKILLed BENCH_KILLS times (after 1 unrecorded warm-up
 *                kill), each time timed from the SIGKILL to the first byte
 *                of output the client gets after resuming on the next
 *                gateway; p50 and p99 over the kills. The killed gateway is
 *                respawned on its port before the next kill (300 ms later).
 *                Fleet only (direct ssh2 has no resume) and no rounds: the
 *                kills are its samples. See scenarios/resume.ts.
 *   crowd        thousands of terminals against a scripted ssh2 echo target,
 *                grown in steps on the cluster and the all-in-one process:
 *                time to open, memory per terminal, idle CPU, and CPU per
 *                keystroke round trip at a fixed total keystroke rate spread
 *                over the crowd. See scenarios/crowd.ts.
 *
 * The fleet runs as a cluster (1 gateway + 1 worker + redis-server) at
 * LOG_LEVEL=warn, plus the all-in-one process as extra rows; the sessions
 * scenario starts a fresh cluster for each measurement so that its memory
 * readings start from an unused heap. Every scenario starts with an
 * unrecorded, smaller warm-up round; then each round runs every variant
 * once, in an order rotated every round, each client in a fresh process.
 * The report (stdout) gives medians and the raw values; progress goes to
 * stderr; all raw values go to .bench-results/<timestamp>.json.
 *
 * A measurement that stalls fails the run with an error naming it (each
 * scenario has a time limit); sshd and every fleet process are stopped
 * however the run ends.
 *
 * Environment:
 *   BENCH_ROUNDS      recorded rounds per scenario (default 5)
 *   BENCH_MB          MB (10^6 bytes) of output per throughput measurement (default 200)
 *   BENCH_SESSIONS    concurrent sessions in the setup scenario (default 200)
 *   BENCH_ALL_IN_ONE  0 skips the all-in-one rows (default 1)
 *   BENCH_KILLS       recorded gateway SIGKILLs in the resume scenario (default 20)
 *   BENCH_CROWD       crowd sizes, comma-separated (default 100,1000,10000)
 *   BENCH_CROWD_ALL_IN_ONE_MAX  largest crowd on the all-in-one baseline (default 1000)
 *   BENCH_CROWD_RATE  keystrokes per second over the whole crowd (default 500)
 *   BENCH_CROWD_ROUNDS  keystroke windows per crowd size and variant (default 3)
 *   BENCH_PROFILE     1: the crowd's fleet processes run with --cpu-prof, profiles
 *                     under .bench-results/ (summarize: node dist/bench/profile-summary.js DIR)
 *   BENCH_ONLY        comma-separated scenarios to run, of throughput, echo,
 *                     sessions, resume, crowd (default: all); the report leaves out
 *                     the rows of the others. `soak` alone runs the churn
 *                     soak instead (bench/soak.ts, half an hour)
 *
 * With the defaults a run takes about 8 minutes on 2 cores (the resume
 * scenario about 15 s of it, the crowd about 5 minutes).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startSshd, type SshdHandle } from '../test/harness/sshd.js';
import { startAllInOne, startCluster, type BenchFleet } from './fleet.js';
import { runIsolated } from './isolated.js';
import { describeMachine } from './machine.js';
import type { ClientSpec, Measurement, MeasurementResult, ResultOf, ScenarioParameters } from './measurement.js';
import { childCount, type Pids } from './process-usage.js';
import { renderReport } from './report.js';
import { SCENARIOS, type BenchConfig, type BenchResults, type ByVariant, type ScenarioName, type ScenarioResults, type Variant } from './results.js';
import { measureCrowd } from './scenarios/crowd.js';
import { measureResume } from './scenarios/resume.js';
import { runSoak } from './soak.js';
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
/** The resume scenario's gateway pool, unrecorded first kills, and pause after each respawn. */
const RESUME_GATEWAYS = 3;
const RESUME_WARMUP_KILLS = 1;
const RESUME_PAUSE_MS = 300;
/** The crowd's keystroke windows, and its quiet window for idle CPU. */
const CROWD_WINDOW_MS = 8_000;
const CROWD_IDLE_MS = 5_000;
/** After the resume scenario's cluster is stopped, its SSH session must be gone within this. */
const SSHD_QUIET_TIMEOUT_MS = 30_000;

function readConfig(): Omit<BenchConfig, 'fleetEnv'> {
  return {
    scenarios: selectedScenarios(),
    rounds: positiveNumber('BENCH_ROUNDS', 5, true),
    megabytes: positiveNumber('BENCH_MB', 200, false),
    sessions: positiveNumber('BENCH_SESSIONS', 200, true),
    echoWarmup: ECHO_WARMUP,
    echoSamples: ECHO_SAMPLES,
    allInOne: process.env.BENCH_ALL_IN_ONE !== '0',
    kills: positiveNumber('BENCH_KILLS', 20, true),
    resumeGateways: RESUME_GATEWAYS,
    crowd: {
      steps: positiveList('BENCH_CROWD', [100, 1000, 10_000]),
      allInOneMax: positiveNumber('BENCH_CROWD_ALL_IN_ONE_MAX', 1000, true),
      rate: positiveNumber('BENCH_CROWD_RATE', 500, false),
      windowMs: CROWD_WINDOW_MS,
      idleMs: CROWD_IDLE_MS,
      rounds: positiveNumber('BENCH_CROWD_ROUNDS', 3, true),
    },
  };
}

function positiveList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const values = raw.split(',').map(Number);
  if (values.some((value) => !Number.isInteger(value) || value <= 0)) throw new Error(`${name}=${raw}: expected comma-separated positive integers`);
  return [...values].sort((a, b) => a - b);
}

function selectedScenarios(): ScenarioName[] {
  const raw = process.env.BENCH_ONLY;
  if (raw === undefined || raw.trim() === '') return [...SCENARIOS];
  const names = raw.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) throw new Error(`BENCH_ONLY=${raw}: expected a comma-separated list of ${SCENARIOS.join(', ')}`);
  return SCENARIOS.filter((name) => names.includes(name));
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
  arrange: () => Promise<Arrangement>;
}

interface Arrangement {
  client: ClientSpec;
  /** The processes whose CPU and memory count for this variant. */
  pids: Pids;
  /** Stops whatever arrange() started for this one measurement. */
  release: () => Promise<void>;
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

async function main(): Promise<void> {
  // The soak is a run of its own: half an hour, one cluster, its own report.
  if (process.env.BENCH_ONLY?.trim() === 'soak') return runSoak();
  const started = Date.now();
  const date = new Date().toISOString();
  const base = readConfig();
  const fleetEnv: Record<string, string> = {
    LOG_LEVEL: 'warn',
    WEBSSH2_SSH_ALLOWED_SUBNETS: '127.0.0.1/32',
    // Room for every bench session on the one worker, whatever BENCH_SESSIONS says.
    FLEET_WORKER_MAX_SESSIONS: String(Math.max(500, base.sessions + 50)),
  };
  const config: BenchConfig = { ...base, fleetEnv };
  const machine = describeMachine();
  progress(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}; ${JSON.stringify(base)}`);

  const stops: Array<() => Promise<void>> = [];
  try {
    const selected = (name: ScenarioName): boolean => config.scenarios.includes(name);
    const sshd = await startSshd();
    stops.push(() => sshd.stop());
    const runner = new ScenarioRunner(sshd, config.rounds);
    const recorded: ScenarioResults = { throughput: {}, echo: {}, sessions: {} };
    const warmup: ScenarioResults = { throughput: {}, echo: {}, sessions: {} };

    if (selected('throughput') || selected('echo')) {
      // The long-lived fleets serve these two scenarios only.
      const cluster = await startCluster(fleetEnv);
      stops.push(() => cluster.stop());
      const allInOne = config.allInOne ? await startAllInOne(fleetEnv) : undefined;
      if (allInOne) stops.push(() => allInOne.stop());
      const withAllInOne = (field: Contestant[]): Contestant[] => (allInOne ? [...field, onFleet('all-in-one', allInOne, true)] : field);

      if (selected('throughput')) {
        const bytes = Math.round(config.megabytes * 1e6);
        const throughputTimeoutMs = 30_000 + config.megabytes * 500; // at least 2 MB/s
        const throughput = await runner.run(
          withAllInOne([direct, onFleet('cluster', cluster, true), onFleet('cluster-no-ack', cluster, false)]),
          { scenario: 'throughput', bytes: Math.min(bytes, WARMUP_MB * 1e6), timeoutMs: throughputTimeoutMs },
          { scenario: 'throughput', bytes, timeoutMs: throughputTimeoutMs },
        );
        recorded.throughput = throughput.recorded;
        warmup.throughput = throughput.warmup;
      }
      if (selected('echo')) {
        const echo = await runner.run(
          withAllInOne([direct, onFleet('cluster', cluster, true)]),
          { scenario: 'echo', warmup: ECHO_WARMUP, samples: WARMUP_ECHO_SAMPLES, timeoutMs: ECHO_TIMEOUT_MS },
          { scenario: 'echo', warmup: ECHO_WARMUP, samples: ECHO_SAMPLES, timeoutMs: ECHO_TIMEOUT_MS },
        );
        recorded.echo = echo.recorded;
        warmup.echo = echo.warmup;
      }
    }
    if (selected('sessions')) {
      const warmupSessions = Math.min(config.sessions, WARMUP_SESSIONS);
      const sessions = await runner.run(
        [direct, onFreshCluster('cluster', fleetEnv)],
        { scenario: 'sessions', sessions: warmupSessions, timeoutMs: sessionsTimeoutMs(warmupSessions) },
        { scenario: 'sessions', sessions: config.sessions, timeoutMs: sessionsTimeoutMs(config.sessions) },
      );
      recorded.sessions = sessions.recorded;
      warmup.sessions = sessions.warmup;
    }
    // Last: it kills processes, and its cluster is its own.
    const resume = selected('resume')
      ? await measureResume({
          target: runner.target(),
          env: fleetEnv,
          gateways: config.resumeGateways,
          kills: config.kills,
          warmupKills: RESUME_WARMUP_KILLS,
          pauseMs: RESUME_PAUSE_MS,
          progress,
        })
      : undefined;
    if (resume) {
      progress(`resume: p50 ${resume.p50Ms.toFixed(1)} ms, p99 ${resume.p99Ms.toFixed(1)} ms, max ${resume.maxMs.toFixed(1)} ms over ${resume.kills} kills`);
      await sshdQuiet(sshd);
    }

    const profileDir = process.env.BENCH_PROFILE ? join(process.cwd(), '.bench-results', `profiles-${date.replace(/[:.]/g, '-')}`) : undefined;
    const crowd = selected('crowd') ? await measureCrowd({ ...config.crowd, env: fleetEnv, progress, ...(profileDir && { profileDir }) }) : undefined;
    if (profileDir) progress(`CPU profiles of the crowd's fleets: ${profileDir}`);

    const results: BenchResults = {
      date,
      durationSeconds: (Date.now() - started) / 1000,
      machine,
      config,
      ...recorded,
      ...(resume && { resume }),
      ...(crowd && { crowd }),
      warmup,
    };
    const file = await saveResults(results);
    process.stdout.write(renderReport(results));
    progress(`raw values: ${file}`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error: Error) => progress(`cleanup: ${error.message}`));
  }
}

/** Every SSH connection of a scenario has ended once sshd has no per-connection children left. */
async function sshdQuiet(sshd: SshdHandle): Promise<void> {
  const deadline = Date.now() + SSHD_QUIET_TIMEOUT_MS;
  while (childCount(sshd.pid) > 0) {
    if (Date.now() > deadline) throw new Error(`sshd still has ${childCount(sshd.pid)} connections ${SSHD_QUIET_TIMEOUT_MS} ms after the resume scenario`);
    await delay(50);
  }
}

/** Logins are slowest when they queue behind each other; half a second each is far beyond what they take. */
function sessionsTimeoutMs(count: number): number {
  return 30_000 + count * 500;
}

/** Runs one scenario: an unrecorded warm-up round, then the recorded rounds, every contestant once per round. */
class ScenarioRunner {
  constructor(
    private readonly sshd: SshdHandle,
    private readonly rounds: number,
  ) {}

  async run<P extends ScenarioParameters>(field: Contestant[], warmup: P, recorded: P) {
    const results = { warmup: {} as ByVariant<ResultOf<P['scenario']>>, recorded: {} as ByVariant<ResultOf<P['scenario']>> };
    await this.round(field, warmup, 0, 'warm-up', results.warmup);
    for (let round = 1; round <= this.rounds; round++) {
      await this.round(field, recorded, round, `round ${round}/${this.rounds}`, results.recorded);
    }
    return results;
  }

  private async round<P extends ScenarioParameters>(field: Contestant[], parameters: P, round: number, label: string, into: ByVariant<ResultOf<P['scenario']>>): Promise<void> {
    // Rotating the order spreads any effect of going first or last evenly over the variants.
    const order = field.map((_, i) => field[(i + round) % field.length]!);
    for (const [position, contestant] of order.entries()) {
      const name = `${parameters.scenario} ${label} ${contestant.variant}`;
      const { client, pids, release } = await contestant.arrange();
      try {
        const measurement: Measurement = { ...parameters, target: this.target(), client, pids, sshdPid: this.sshd.pid };
        const result = (await runIsolated(measurement, parameters.timeoutMs + MEASUREMENT_SLACK_MS, name)) as ResultOf<P['scenario']>;
        progress(`${name}: ${summarize(result)}`);
        (into[contestant.variant] ??= []).push({ ...result, round, position });
      } finally {
        await release();
      }
    }
  }

  target(): ShellTarget {
    return { host: this.sshd.host, port: this.sshd.port, username: this.sshd.user, password: this.sshd.password };
  }
}

function summarize(result: MeasurementResult): string {
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
