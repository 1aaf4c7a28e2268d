/**
 * The crowd: thousands of open terminals on one machine, and what each
 * keystroke costs among them. A scripted ssh2 target (an echo shell) and one
 * crowd client per fleet run in processes of their own; the crowd grows in
 * steps (BENCH_CROWD, e.g. 100, 1000, 10000) on the cluster (1 gateway + 1
 * worker + Redis) and, up to BENCH_CROWD_ALL_IN_ONE_MAX, on the all-in-one
 * process, its in-run baseline. At each step:
 *
 *   open       how long the step's new terminals took to log in and show
 *              their prompt, how many failed, the CPU every role spent per
 *              login (the crowd's client and target too), and the Redis
 *              calls per login
 *   memory     RSS of each role over its RSS before the crowd, per terminal
 *   idle       CPU of each role with the crowd quiet, % of one core
 *   keystroke  `rate` keystrokes a second spread round-robin over the crowd
 *              for `windowMs`, each timed to its echo; the CPU of each role
 *              over the window divided by the echoes is its CPU per
 *              keystroke round trip (idle work included, as an operator
 *              pays for it), and the cluster's Redis calls per keystroke.
 *              One unrecorded warm-up window, then `rounds` windows per
 *              variant, interleaved, the order rotated.
 */
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { signalQuietly } from '../../test/harness/process-signals.js';
import { startAllInOne, startCluster, type BenchFleet } from '../fleet.js';
import { startCrowdClient, startEchoTarget, type CrowdClient } from '../crowd/crowd-processes.js';
import type { GrowResult } from '../crowd/crowd-protocol.js';
import { redisCommandMeter, type CommandStat, type RedisCommandMeter } from '../crowd/redis-commands.js';
import { cpuMs, delta, rssKiB, sample, type Pids } from '../process-usage.js';

export type CrowdVariant = 'cluster' | 'all-in-one';

/** The crowd's sizes and load, as the bench's configuration records them. */
export interface CrowdConfig {
  /** Crowd sizes, smallest first; each grows from the one before. */
  steps: number[];
  /** The all-in-one process takes the steps up to this size. */
  allInOneMax: number;
  /** Keystrokes per second over the whole crowd. */
  rate: number;
  windowMs: number;
  idleMs: number;
  /** Keystroke windows per size and variant. */
  rounds: number;
}

export interface CrowdParameters extends CrowdConfig {
  env: Record<string, string>;
  /** Set: every fleet process runs with `--cpu-prof` and writes its profile under this directory on exit. */
  profileDir?: string;
  progress: (message: string) => void;
}

export interface KeystrokeWindow {
  round: number;
  position: number;
  sent: number;
  echoed: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU microseconds per echoed keystroke, by role. */
  cpuUsPerKeystroke: Record<string, number>;
  /** Cluster only: Redis calls per echoed keystroke, by command (INFO commandstats). */
  redisCallsPerKeystroke?: Record<string, number>;
}

export interface CrowdStep {
  variant: CrowdVariant;
  terminals: number;
  open: GrowResult;
  /**
   * CPU ms per terminal opened in this step, by role, with the crowd's own
   * processes (`client`, `target`) beside the fleet's: logins are CPU-bound
   * on 2 cores, so this says who spends it.
   */
  openCpuMsPerLogin: Record<string, number>;
  /** Cluster only: Redis calls per terminal opened in this step, by command. */
  openRedisCallsPerLogin?: Record<string, number>;
  /** RSS growth since before the crowd, KiB per open terminal, by role. */
  kibPerTerminal: Record<string, number>;
  rssKiB: Record<string, number>;
  /** CPU with the crowd quiet, % of one core, by role. */
  idleCpuPercent: Record<string, number>;
  windows: KeystrokeWindow[];
}

export interface CrowdResult {
  rate: number;
  windowMs: number;
  steps: CrowdStep[];
}

interface Contender {
  variant: CrowdVariant;
  fleet: BenchFleet;
  client: CrowdClient;
  rssBefore: Record<string, number>;
  maxTerminals: number;
  redisCommands: RedisCommandMeter | undefined;
  /** The crowd's processes: the echo target and this fleet's crowd client. */
  crowdPids: Pids;
  /** Terminals open after the last step. */
  opened?: number;
}

const WARMUP_WINDOW_MS = 2_000;
/** Far beyond what a login takes: this only catches a crowd that stopped growing. */
const GROW_TIMEOUT_PER_TERMINAL_MS = 50;

export async function measureCrowd(p: CrowdParameters): Promise<CrowdResult> {
  const stops: Array<() => Promise<void>> = [];
  try {
    const echo = await startEchoTarget();
    stops.push(() => echo.stop());
    const largest = Math.max(...p.steps);
    // Room for the whole crowd on the one worker.
    const env = { ...p.env, FLEET_WORKER_MAX_SESSIONS: String(largest + 100) };
    const contenders: Contender[] = [];
    const enlist = async (variant: CrowdVariant, fleet: BenchFleet, maxTerminals: number): Promise<void> => {
      stops.push(fleet.stop);
      // --cpu-prof writes its profile when the process exits, and the fleet's stop is a SIGKILL.
      if (p.profileDir !== undefined) stops.push(() => exitForProfiles(fleet.pids));
      const redisCommands = fleet.redisUrl === undefined ? undefined : redisCommandMeter(fleet.redisUrl);
      if (redisCommands) stops.push(async () => redisCommands.close());
      const client = await startCrowdClient(fleet.url, echo.target);
      stops.push(() => client.stop());
      const crowdPids = { client: client.pid, target: echo.pid };
      contenders.push({ variant, fleet, client, rssBefore: sample(fleet.pids, rssKiB), maxTerminals, redisCommands, crowdPids });
    };
    const profiled = (variant: CrowdVariant): { nodeArgs: string[] } => ({
      nodeArgs: p.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${p.profileDir}/${variant}`],
    });
    await enlist('cluster', await startCluster(env, profiled('cluster')), largest);
    if (p.allInOneMax > 0) await enlist('all-in-one', await startAllInOne(env, profiled('all-in-one')), p.allInOneMax);

    const steps: CrowdStep[] = [];
    for (const terminals of p.steps) {
      const here = contenders.filter((c) => terminals <= c.maxTerminals);
      const atStep = new Map<CrowdVariant, CrowdStep>();
      for (const contender of here) atStep.set(contender.variant, await growStep(contender, terminals, p));
      for (const contender of here) await contender.client.type(p.rate, WARMUP_WINDOW_MS);
      for (let round = 1; round <= p.rounds; round++) {
        const order = here.map((_, i) => here[(i + round) % here.length]!);
        for (const [position, contender] of order.entries()) {
          const window = await keystrokeWindow(contender, p, round, position);
          atStep.get(contender.variant)!.windows.push(window);
          const cpu = Object.entries(window.cpuUsPerKeystroke).map(([role, us]) => `${role} ${us.toFixed(0)}`).join(', ');
          p.progress(`crowd ${terminals} ${contender.variant} round ${round}/${p.rounds}: ${window.echoed} echoes, p50 ${window.p50Ms.toFixed(2)} ms; CPU us/keystroke ${cpu}`);
        }
      }
      steps.push(...atStep.values());
    }
    return { rate: p.rate, windowMs: p.windowMs, steps };
  } finally {
    for (const stop of stops.reverse()) await stop().catch((error: Error) => p.progress(`crowd cleanup: ${error.message}`));
  }
}

/** A second SIGINT makes a fleet process exit at once, through process.exit, which writes the profile. */
async function exitForProfiles(pids: Pids): Promise<void> {
  const node = Object.entries(pids).filter(([role]) => role !== 'redis').map(([, pid]) => pid);
  for (const pid of node) {
    signalQuietly(pid, 'SIGINT');
    signalQuietly(pid, 'SIGINT');
  }
  const deadline = Date.now() + 30_000;
  while (node.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < deadline) await delay(50);
}

async function growStep(contender: Contender, terminals: number, p: CrowdParameters): Promise<CrowdStep> {
  const { fleet, client, variant } = contender;
  const everyone = { ...fleet.pids, ...contender.crowdPids };
  await contender.redisCommands?.reset();
  const cpuBefore = sample(everyone, cpuMs);
  const open = await client.grow(terminals, 60_000 + terminals * GROW_TIMEOUT_PER_TERMINAL_MS);
  const opened = Math.max(1, terminals - (contender.opened ?? 0));
  const openCpuMsPerLogin = Object.fromEntries(Object.entries(delta(cpuBefore, sample(everyone, cpuMs))).map(([role, ms]) => [role, ms / opened]));
  contender.opened = open.open;
  const calls = contender.redisCommands && perUnit(await contender.redisCommands.read(), opened);
  const perLogin = Object.entries(openCpuMsPerLogin).map(([role, ms]) => `${role} ${ms.toFixed(2)}`).join(', ');
  p.progress(`crowd ${variant}: ${open.open} open (${open.failed} failed) after ${open.seconds.toFixed(1)} s; CPU ms per login ${perLogin}${open.failures.length ? `: ${open.failures.join('; ')}` : ''}`);
  const idleCpuPercent = await idleCpu(fleet.pids, p.idleMs);
  const rss = sample(fleet.pids, rssKiB);
  const grown = delta(contender.rssBefore, rss);
  const kibPerTerminal = Object.fromEntries(Object.entries(grown).map(([role, kib]) => [role, kib / Math.max(1, open.open)]));
  const idle = Object.entries(idleCpuPercent).map(([role, pct]) => `${role} ${pct.toFixed(1)}%`).join(', ');
  p.progress(`crowd ${variant} ${terminals}: idle CPU ${idle}`);
  return { variant, terminals, open, openCpuMsPerLogin, ...(calls && { openRedisCallsPerLogin: calls }), kibPerTerminal, rssKiB: rss, idleCpuPercent, windows: [] };
}

async function idleCpu(pids: Pids, ms: number): Promise<Record<string, number>> {
  const before = sample(pids, cpuMs);
  const started = Date.now();
  await delay(ms);
  const seconds = (Date.now() - started) / 1000;
  return Object.fromEntries(Object.entries(delta(before, sample(pids, cpuMs))).map(([role, used]) => [role, used / seconds / 10]));
}

async function keystrokeWindow(contender: Contender, p: CrowdParameters, round: number, position: number): Promise<KeystrokeWindow> {
  const { redisCommands } = contender;
  await redisCommands?.reset();
  const before = sample(contender.fleet.pids, cpuMs);
  const typed = await contender.client.type(p.rate, p.windowMs);
  const used = delta(before, sample(contender.fleet.pids, cpuMs));
  const echoed = Math.max(1, typed.echoed);
  const cpuUsPerKeystroke = Object.fromEntries(Object.entries(used).map(([role, ms]) => [role, (ms * 1000) / echoed]));
  const window: KeystrokeWindow = { round, position, sent: typed.sent, echoed: typed.echoed, seconds: typed.seconds, p50Ms: typed.p50Ms, p99Ms: typed.p99Ms, cpuUsPerKeystroke };
  if (!redisCommands) return window;
  return { ...window, redisCallsPerKeystroke: perUnit(await redisCommands.read(), echoed) };
}

/** Calls of each command (but the meter's own) per keystroke, login, ... */
function perUnit(stats: Record<string, CommandStat>, units: number): Record<string, number> {
  return Object.fromEntries(Object.entries(stats).filter(([command]) => !METER_COMMANDS.has(command)).map(([command, stat]) => [command, stat.calls / units]));
}

/** The meter's own commands. */
const METER_COMMANDS = new Set(['info', 'config|resetstat', 'config']);
