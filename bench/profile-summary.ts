/**
 * `node dist/bench/profile-summary.js DIR [TOP] [LAST_SECONDS]`: where the
 * CPU of each profiled process went, from the `.cpuprofile` files
 * `--cpu-prof` wrote under DIR (BENCH_PROFILE=1). Per file: self time by
 * area (our modules, each npm package, Node internals, GC, idle) and the TOP
 * functions by self time, as percentages of the busy (non-idle) time; with
 * LAST_SECONDS, only the samples of the profile's last seconds (a quiet
 * crowd at the end of a run, say).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function profilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return profilesUnder(path);
    return name.endsWith('.cpuprofile') ? [path] : [];
  });
}

/** Self time in microseconds per profile node, of the samples in the last `lastUs` of the profile. */
function selfTimes(profile: CpuProfile, lastUs: number): Map<number, number> {
  const self = new Map<number, number>();
  const total = profile.timeDeltas.reduce((sum, us) => sum + us, 0);
  let at = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (total - at <= lastUs) self.set(id, (self.get(id) ?? 0) + us);
  });
  return self;
}

function area({ functionName, url }: ProfileNode['callFrame']): string {
  if (functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)') return functionName;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:') || url === '') return 'node (internals, native)';
  const ours = /\/dist\/((?:services\/[^/]+|shared\/[^/]+|[^/]+))/.exec(url);
  return ours ? ours[1]! : url;
}

function summarize(file: string, top: number, lastUs: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of selfTimes(profile, lastUs)) {
    const frame = nodes.get(id)!.callFrame;
    const where = area(frame);
    byArea.set(where, (byArea.get(where) ?? 0) + us);
    if (where === '(idle)') continue;
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  }
  const busy = [...byArea].filter(([name]) => name !== '(idle)').reduce((total, [, us]) => total + us, 0);
  const percent = (us: number): string => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  const ranked = (map: Map<string, number>, n: number): string[] =>
    [...map].filter(([name]) => name !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) => `  ${percent(us)}  ${name}`);
  return [`${file}: ${(busy / 1e6).toFixed(2)} s busy`, ' by area:', ...ranked(byArea, 15), ` top ${top} functions (self time):`, ...ranked(byFunction, top), ''].join('\n');
}

const [dir, topArgument, lastArgument] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: node dist/bench/profile-summary.js DIR [TOP] [LAST_SECONDS]\n');
  process.exit(2);
}
const lastUs = lastArgument === undefined ? Number.POSITIVE_INFINITY : Number(lastArgument) * 1e6;
for (const file of profilesUnder(dir).sort()) process.stdout.write(`${summarize(relative(process.cwd(), file) || file, Number(topArgument ?? 25), lastUs)}\n`);
