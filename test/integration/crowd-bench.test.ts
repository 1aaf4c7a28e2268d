/**
 * The bench's crowd scenario (bench/scenarios/crowd.ts), run small from the
 * build in dist/ exactly as `npm run bench` runs it: its own echo target and
 * crowd client processes, a cluster and the all-in-one process. It must open
 * every terminal, see every keystroke echoed, and read each role's CPU and
 * Redis's command counts; and it guards what issue 14 took out of the
 * keystroke path: a keystroke round trip is two bus messages (input, echo),
 * with no acknowledgement to the worker for an echo the page rendered.
 */
import { describe, expect, it } from 'vitest';
import type { CrowdResult } from '../../bench/scenarios/crowd.js';

const TERMINALS = 4;

describe('bench crowd scenario', () => {
  it('opens a small crowd on both fleets, and every keystroke round trip costs the cluster two bus messages', async () => {
    // The bench runs its crowd from dist/: its child processes are built JS.
    const crowdModule = new URL('../../dist/bench/scenarios/crowd.js', import.meta.url).href;
    const { measureCrowd } = (await import(crowdModule)) as typeof import('../../bench/scenarios/crowd.js');
    const progress: string[] = [];
    const result: CrowdResult = await measureCrowd({
      env: { LOG_LEVEL: 'warn', WEBSSH2_SSH_ALLOWED_SUBNETS: '127.0.0.1/32' },
      steps: [TERMINALS],
      allInOneMax: TERMINALS,
      // Ten keystrokes a second per terminal: the crowd client acknowledges every echo, as the page would.
      rate: TERMINALS * 10,
      windowMs: 1_500,
      idleMs: 200,
      rounds: 1,
      progress: (message) => progress.push(message),
    });

    expect(result.steps.map((step) => step.variant).sort()).toEqual(['all-in-one', 'cluster']);
    for (const step of result.steps) {
      expect(step.open, step.variant).toMatchObject({ open: TERMINALS, failed: 0 });
      expect(step.windows).toHaveLength(1);
      const [window] = step.windows;
      expect(window!.sent, step.variant).toBeGreaterThan(TERMINALS);
      expect(window!.echoed, step.variant).toBe(window!.sent);
      for (const [role, us] of Object.entries(window!.cpuUsPerKeystroke)) expect(us, `${step.variant} ${role}`).toBeGreaterThan(0);
    }
    const cluster = result.steps.find((step) => step.variant === 'cluster')!;
    expect(Object.keys(cluster.windows[0]!.cpuUsPerKeystroke).sort()).toEqual(['gateway', 'redis', 'worker']);
    expect(Object.keys(cluster.openCpuMsPerLogin).sort()).toEqual(['client', 'gateway', 'redis', 'target', 'worker']);
    // Input and its echo: one XADD each. An ack per echo would make it three.
    const xadds = cluster.windows[0]!.redisCallsPerKeystroke?.xadd ?? 0;
    process.stdout.write(`[crowd] ${progress.join('\n[crowd] ')}\n[crowd] XADDs per keystroke round trip: ${xadds.toFixed(2)}\n`);
    expect(xadds).toBeGreaterThanOrEqual(2);
    expect(xadds).toBeLessThan(2.5);
  }, 120_000);
});
