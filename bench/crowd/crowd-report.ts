/**
 * The crowd scenario's part of the report: one row per crowd size and
 * variant (medians over the keystroke windows, with their range), then the
 * issue's targets checked against them, then the raw values per window.
 */
import type { CrowdResult, CrowdStep } from '../scenarios/crowd.js';
import { median } from '../stats.js';

/** The cluster's roles; the all-in-one process is one role of its own. */
const ROLES = ['gateway', 'worker', 'redis'] as const;

const TARGETS = {
  /** Cluster CPU per keystroke over the all-in-one process's, same crowd size. */
  cpuRatioToAllInOne: 1.5,
  /** Cluster CPU per keystroke at the largest crowd over the smallest. */
  cpuGrowthWithCrowd: 1.2,
  openSeconds: 30,
  idlePercentOfCore: 10,
  kibPerTerminal: 64,
} as const;

const sum = (values: Record<string, number>): number => Object.values(values).reduce((a, b) => a + b, 0);
const keystrokeUs = (step: CrowdStep): number[] => step.windows.map((w) => sum(w.cpuUsPerKeystroke));
const roleUs = (step: CrowdStep, role: string): number => median(step.windows.map((w) => w.cpuUsPerKeystroke[role] ?? 0));
const range = (values: number[], digits: number): string => `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;

export function renderCrowd(crowd: CrowdResult): string[] {
  const rows = crowd.steps.map((step) => {
    const us = keystrokeUs(step);
    const split = step.variant === 'cluster' ? ` (${ROLES.map((role) => roleUs(step, role).toFixed(0)).join(' / ')})` : '';
    const idle = step.variant === 'cluster' ? ` (${ROLES.map((role) => (step.idleCpuPercent[role] ?? 0).toFixed(1)).join(' / ')})` : '';
    const kib = step.variant === 'cluster' ? ` (${ROLES.map((role) => (step.kibPerTerminal[role] ?? 0).toFixed(1)).join(' + ')})` : '';
    return [
      String(step.terminals),
      step.variant,
      `${step.open.seconds.toFixed(1)} s, ${step.open.failed} failed`,
      `${sum(step.idleCpuPercent).toFixed(1)}${idle}`,
      `${median(us).toFixed(0)}${split} [${range(us, 0)}]`,
      `${median(step.windows.map((w) => w.p50Ms)).toFixed(2)} / ${median(step.windows.map((w) => w.p99Ms)).toFixed(2)}`,
      `${sum(step.kibPerTerminal).toFixed(1)}${kib}`,
    ];
  });
  return [
    `Crowd: a scripted ssh2 echo target; ${crowd.rate} keystrokes/s spread round-robin over the crowd, ${crowd.windowMs / 1000} s windows; ` +
      'each size grown from the one before (the open time is for the step). Cluster figures split gateway / worker / redis.',
    '',
    '| terminals | variant | open (this step) | idle CPU, % of a core | CPU us per keystroke round trip, median [range] | echo p50 / p99 ms | RSS KiB per terminal |',
    '| ---: | --- | --- | --- | --- | --- | --- |',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
    '',
    ...targetLines(crowd),
    '',
    'Crowd raw values per keystroke window (CPU us per keystroke, all roles summed):',
    '',
    ...crowd.steps.map((step) => `- ${step.terminals} ${step.variant}: ${step.windows.map((w) => `${sum(w.cpuUsPerKeystroke).toFixed(0)} (${w.echoed}/${w.sent} echoed, p50 ${w.p50Ms.toFixed(2)} ms)`).join(', ')}`),
  ];
}

function targetLines(crowd: CrowdResult): string[] {
  const cluster = crowd.steps.filter((s) => s.variant === 'cluster');
  const allInOne = new Map(crowd.steps.filter((s) => s.variant === 'all-in-one').map((s) => [s.terminals, s]));
  const lines: string[] = [];
  const check = (what: string, value: number, bound: number, unit: string): void => {
    lines.push(`- ${what}: ${value.toFixed(2)}${unit}, target <= ${bound}${unit} ${value <= bound ? '✓' : '✗ missed'}`);
  };
  for (const step of cluster) {
    const baseline = allInOne.get(step.terminals);
    if (baseline) check(`CPU per keystroke, cluster / all-in-one at ${step.terminals}`, median(keystrokeUs(step)) / median(keystrokeUs(baseline)), TARGETS.cpuRatioToAllInOne, 'x');
  }
  const smallest = cluster[0];
  const largest = cluster.at(-1);
  if (smallest && largest && largest !== smallest) {
    check(`CPU per keystroke, cluster at ${largest.terminals} / at ${smallest.terminals}`, median(keystrokeUs(largest)) / median(keystrokeUs(smallest)), TARGETS.cpuGrowthWithCrowd, 'x');
  }
  if (largest) {
    const failed = cluster.reduce((total, s) => total + s.open.failed, 0);
    const seconds = cluster.reduce((total, s) => total + s.open.seconds, 0);
    lines.push(`- ${largest.open.open} terminals open, ${failed} failed logins ${failed === 0 ? '✓' : '✗ missed'}`);
    check(`time to open all ${largest.terminals} (the steps summed)`, seconds, TARGETS.openSeconds, ' s');
    check(`idle CPU at ${largest.terminals}, % of one core`, sum(largest.idleCpuPercent), TARGETS.idlePercentOfCore, '');
    check(`memory at ${largest.terminals}, KiB per terminal (3 processes)`, sum(largest.kibPerTerminal), TARGETS.kibPerTerminal, '');
  }
  return lines;
}
