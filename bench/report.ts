/**
 * The markdown report: one table of medians (fleet against the direct ssh2
 * baseline, with the targets) and below it every raw per-round value the
 * medians come from. The resume row is the exception: one run of kills,
 * its percentiles over the kills, and its raw values are the kills.
 * Scenarios that did not run (BENCH_ONLY) leave their rows out. The
 * targets are issue 14's: throughput at least 0.95x direct at no more than
 * 10 ms of CPU per MB over the three processes, echo p50 within 3x and p99
 * within 4x a direct ssh2 shell; the crowd's are in crowd/crowd-report.ts.
 */
import { renderCrowd } from './crowd/crowd-report.js';
import { SCENARIOS, type BenchResults, type Sample } from './results.js';
import type { ResumeResult } from './scenarios/resume.js';
import type { ThroughputResult } from './scenarios/throughput.js';
import { median } from './stats.js';

interface Row {
  measure: string;
  direct?: number[];
  fleet?: number[];
  digits: number;
  /** Checked against the fleet's median, or against fleet/direct when `ofRatio`. */
  target?: { bound: 'at least' | 'at most'; value: number; ofRatio?: boolean };
  /** Cells written out instead of medians of `direct`/`fleet` (the direct and ratio cells stay empty). */
  text?: { fleet: string; target: string; details: string };
}

const CLUSTER_ROLES = ['gateway', 'worker', 'redis'] as const;

const megabytes = (r: ThroughputResult): number => r.bytes / 1e6;
const mbPerSecond = (r: ThroughputResult): number => megabytes(r) / r.seconds;
const cpuPerMb = (r: ThroughputResult, roles: readonly string[]): number =>
  roles.reduce((sum, role) => sum + (r.cpuMs[role] ?? 0), 0) / megabytes(r);
const chunkKiB = (r: ThroughputResult): number => r.bytes / r.chunks / 1024;
const clientCpuPerMb = (r: ThroughputResult): number => r.clientCpuMs / megabytes(r);

function pick<R>(samples: Sample<R>[] | undefined, value: (r: R) => number): number[] | undefined {
  return samples?.map(value);
}

export function renderReport(results: BenchResults): string {
  const { throughput, echo, sessions, machine, config } = results;
  const n = config.sessions;
  const memoryPerSession = (role: string) => (r: { sessions: number; rssBeforeKiB: Record<string, number>; rssAfterKiB: Record<string, number> }) =>
    ((r.rssAfterKiB[role] ?? 0) - (r.rssBeforeKiB[role] ?? 0)) / r.sessions;

  const rows: Row[] = [
    { measure: 'throughput MB/s', direct: pick(throughput.direct, mbPerSecond), fleet: pick(throughput.cluster, mbPerSecond), digits: 1, target: { bound: 'at least', value: 0.95, ofRatio: true } },
    { measure: 'throughput MB/s, stock client (no session:ack)', direct: pick(throughput.direct, mbPerSecond), fleet: pick(throughput['cluster-no-ack'], mbPerSecond), digits: 1 },
    { measure: 'output chunk KiB (fleet: one per bus entry)', direct: pick(throughput.direct, chunkKiB), fleet: pick(throughput.cluster, chunkKiB), digits: 1 },
    { measure: 'CPU ms/MB, gateway+worker+redis', fleet: pick(throughput.cluster, (r) => cpuPerMb(r, CLUSTER_ROLES)), digits: 2, target: { bound: 'at most', value: 10 } },
    ...CLUSTER_ROLES.map((role): Row => ({
      measure: role === 'worker' ? 'CPU ms/MB, worker (direct: the ssh2 client process)' : `CPU ms/MB, ${role}`,
      ...(role === 'worker' && { direct: pick(throughput.direct, clientCpuPerMb) }),
      fleet: pick(throughput.cluster, (r) => cpuPerMb(r, [role])),
      digits: 2,
    })),
    { measure: 'echo p50 ms', direct: pick(echo.direct, (r) => r.p50Ms), fleet: pick(echo.cluster, (r) => r.p50Ms), digits: 3, target: { bound: 'at most', value: 3, ofRatio: true } },
    { measure: 'echo p99 ms', direct: pick(echo.direct, (r) => r.p99Ms), fleet: pick(echo.cluster, (r) => r.p99Ms), digits: 3, target: { bound: 'at most', value: 4, ofRatio: true } },
    ...CLUSTER_ROLES.map((role): Row => ({
      measure: `CPU us per keystroke round trip, ${role}`,
      fleet: pick(echo.cluster, (r) => r.cpuUsPerKeystroke[role] ?? Number.NaN),
      digits: 0,
    })),
    { measure: `${n}-session setup s`, direct: pick(sessions.direct, (r) => r.seconds), fleet: pick(sessions.cluster, (r) => r.seconds), digits: 2 },
    ...CLUSTER_ROLES.map((role): Row => ({
      measure: role === 'worker' ? 'memory KiB/session, worker (direct: the ssh2 client process)' : `memory KiB/session, ${role}`,
      ...(role === 'worker' && { direct: pick(sessions.direct, memoryPerSession('client')) }),
      fleet: pick(sessions.cluster, memoryPerSession(role)),
      digits: 1,
    })),
  ];
  if (results.resume) rows.push(resumeRow(results.resume));
  if (config.allInOne) {
    rows.push(
      { measure: 'all-in-one: throughput MB/s', direct: pick(throughput.direct, mbPerSecond), fleet: pick(throughput['all-in-one'], mbPerSecond), digits: 1 },
      { measure: 'all-in-one: CPU ms/MB (direct: the ssh2 client process)', direct: pick(throughput.direct, clientCpuPerMb), fleet: pick(throughput['all-in-one'], (r) => cpuPerMb(r, ['all-in-one'])), digits: 2 },
      { measure: 'all-in-one: echo p50 ms', direct: pick(echo.direct, (r) => r.p50Ms), fleet: pick(echo['all-in-one'], (r) => r.p50Ms), digits: 3 },
      { measure: 'all-in-one: echo p99 ms', direct: pick(echo.direct, (r) => r.p99Ms), fleet: pick(echo['all-in-one'], (r) => r.p99Ms), digits: 3 },
    );
  }

  const shown = rows.filter((row) => row.direct !== undefined || row.fleet !== undefined || row.text !== undefined);
  const lines = [
    `## webssh-fleet bench, ${results.date}`,
    '',
    `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM; ${machine.kernel}; Node ${machine.node}; ${machine.openssh}; Redis ${machine.redis}; load average ${machine.loadAverage.toFixed(2)} at the start`,
    `${config.rounds} rounds (variant order rotated every round, each measurement in a fresh process); ` +
      `${config.megabytes} MB per transfer; ${config.echoSamples} keystrokes per round after ${config.echoWarmup} warm-up; ` +
      `${n} concurrent sessions; ` +
      (results.resume ? `resume: ${config.kills} gateway SIGKILLs on 1 worker + ${config.resumeGateways} gateways; ` : '') +
      (config.scenarios.length < SCENARIOS.length ? `scenarios (BENCH_ONLY) ${config.scenarios.join(', ')}; ` : '') +
      `fleet env ${Object.entries(config.fleetEnv).map(([k, v]) => `${k}=${v}`).join(' ')}; ` +
      `took ${Math.round(results.durationSeconds)} s`,
    '',
    '| measure | direct ssh2 | webssh-fleet (cluster 1+1) | ratio | target |',
    '| --- | ---: | ---: | ---: | --- |',
    ...shown.map(tableRow),
    '',
    ...(results.resume ? [resumeNote(results.resume), ''] : []),
    'Medians over the rounds. Raw values per round, in round order:',
    '',
    ...shown.map(detailsLine),
    ...(results.crowd ? ['', ...renderCrowd(results.crowd)] : []),
  ];
  return `${lines.join('\n')}\n`;
}

const RESUME_TARGET_MS = 1500;

function resumeRow(r: ResumeResult): Row {
  const ms = (values: number[]): string => values.map((v) => v.toFixed(1)).join(', ');
  const met = r.p50Ms < RESUME_TARGET_MS;
  return {
    measure: 'resume after gateway SIGKILL, ms (p50 / p99)',
    digits: 1,
    text: {
      fleet: `${r.p50Ms.toFixed(1)} / ${r.p99Ms.toFixed(1)}`,
      target: `p50 < ${RESUME_TARGET_MS} ${met ? '✓' : '✗ missed'}`,
      details:
        `${r.kills} kills, in order: ${ms(r.samplesMs)}; max ${r.maxMs.toFixed(1)}` +
        `; socket lost after (median) ${median(r.socketLostMs).toFixed(0)}, session:resumed after (median) ${median(r.resumedMs).toFixed(0)}` +
        `; warm-up (unrecorded) ${ms(r.warmupMs)}`,
    },
  };
}

function resumeNote(r: ResumeResult): string {
  return (
    `Resume: one session on a cluster of 1 worker + ${r.gateways} gateways, printing a timestamp every ~10 ms; ` +
    `the gateway carrying it SIGKILLed ${r.kills} times (and respawned on its port after each kill); ` +
    `time from SIGKILL to the first byte of output after session:resumed, percentiles over the kills` +
    (r.kills < 100 ? ` (nearest rank: with fewer than 100 kills p99 is the maximum)` : '') +
    `. Checked: every session:resumed offset equal to the bytes received, no ssherror, and all ${r.lines} output lines ` +
    `(${r.outputBytes} bytes) whole timestamps in increasing order.`
  );
}

function tableRow(row: Row): string {
  if (row.text) return `| ${[row.measure, '–', row.text.fleet, '–', row.text.target].join(' | ')} |`;
  const direct = row.direct && median(row.direct);
  const fleet = row.fleet && median(row.fleet);
  const ratio = direct !== undefined && fleet !== undefined ? fleet / direct : undefined;
  const cells = [
    row.measure,
    format(direct, row.digits),
    format(fleet, row.digits),
    ratio === undefined ? '–' : `${ratio.toFixed(2)}x`,
    targetCell(row, row.target?.ofRatio ? ratio : fleet),
  ];
  return `| ${cells.join(' | ')} |`;
}

function targetCell(row: Row, value: number | undefined): string {
  const { target } = row;
  if (!target) return '';
  const text = `${target.bound === 'at least' ? '>=' : '<='} ${target.value}${target.ofRatio ? 'x' : ''}`;
  if (value === undefined || Number.isNaN(value)) return text;
  const met = target.bound === 'at least' ? value >= target.value : value <= target.value;
  return `${text} ${met ? '✓' : '✗ missed'}`;
}

function detailsLine(row: Row): string {
  if (row.text) return `- ${row.measure}: ${row.text.details}`;
  const series = [
    row.direct && `direct ${row.direct.map((v) => v.toFixed(row.digits)).join(', ')}`,
    row.fleet && `fleet ${row.fleet.map((v) => v.toFixed(row.digits)).join(', ')}`,
  ].filter(Boolean);
  return `- ${row.measure}: ${series.join('; ')}`;
}

function format(value: number | undefined, digits: number): string {
  return value === undefined ? '–' : value.toFixed(digits);
}
