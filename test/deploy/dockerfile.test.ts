/**
 * The Dockerfile, which cannot be built here (no Docker engine): it lints
 * clean with dockerfile-utils (the Docker language server's validator), and
 * its build stage gets everything `npm run build` compiles, which
 * .dockerignore must not drop.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Copy, DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './manifests.js';

const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');

/** dockerfile-utils' messages are plain strings or LSP markup. */
const messageOf = ({ message }: { message: string | { value: string } }): string => (typeof message === 'string' ? message : message.value);
const dockerfile = DockerfileParser.parse(text);

/** Instructions per stage, in order. */
const stages: Instruction[][] = [];
for (const instruction of dockerfile.getInstructions()) {
  if (instruction.getKeyword() === 'FROM') stages.push([]);
  stages.at(-1)?.push(instruction);
}
const [build, runtime] = stages as [Instruction[], Instruction[]];
const args = (instruction: Instruction): string => instruction.getArgumentsContent() ?? '';
const of = (stage: Instruction[], keyword: string): Instruction[] => stage.filter((instruction) => instruction.getKeyword() === keyword);

/** Sources a stage COPYs from the build context (not --from another stage). */
function contextSources(stage: Instruction[]): string[] {
  return of(stage, 'COPY')
    .filter((instruction) => !(instruction instanceof Copy && instruction.getFromFlag()))
    .flatMap((instruction) => instruction.getArguments().slice(0, -1).map((arg) => arg.getValue().replace(/\/$/, '')));
}

/** Docker's .dockerignore rules (last match wins, `!` re-includes, a match on a folder covers its files). */
function ignoredByDockerignore(path: string): boolean {
  const patterns = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const toRegExp = (pattern: string): RegExp =>
    new RegExp(
      `^${pattern
        .replace(/^\//, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '\u0000')
        .replace(/\*\*/g, '.*')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/\u0000/g, '(.*/)?')}(/.*)?$`,
    );
  let ignored = false;
  for (const line of patterns) {
    const negated = line.startsWith('!');
    if (toRegExp(negated ? line.slice(1) : line).test(path)) ignored = !negated;
  }
  return ignored;
}

describe('Dockerfile', () => {
  it('lints clean with dockerfile-utils', () => {
    expect(validate(text).map((problem) => `line ${problem.range.start.line + 1}: ${messageOf(problem)}`)).toEqual([]);
  });

  it('dockerfile-utils reports mistakes (the check can fail)', () => {
    const messages = validate('FROM node:24-bookworm-slim\nRUNN npm ci\nCOPY --fromm=build /app ./\nEXPOSE http\n').map(messageOf);
    expect(messages.join('\n')).toMatch(/Unknown instruction: RUNN[\s\S]*Unknown flag: fromm[\s\S]*Invalid containerPort: http/);
  });

  it('builds on the Node LTS slim image in two stages', () => {
    const froms = dockerfile.getFROMs();
    expect(froms).toHaveLength(2);
    for (const from of froms) expect(`${from.getImageName()}:${from.getImageTag()}`).toBe('node:24-bookworm-slim');
    expect(froms[0]!.getBuildStage()).toBe('build');
  });

  it('compiles in the build stage: toolchain for the native ssh2 binding, npm ci, build, prune', () => {
    const runs = of(build, 'RUN').map(args).join('\n');
    expect(runs).toMatch(/apt-get install[^\n]*\bpython3\b[^\n]*\bmake\b[^\n]*\bg\+\+/);
    const order = ['npm ci', 'npm run build', 'npm prune --omit=dev'].map((command) => runs.indexOf(command));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('copies into the build stage everything the build reads, and .dockerignore keeps it in the context', () => {
    const tsconfig = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    const needed = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts', ...tsconfig.include];
    const copied = contextSources(build);
    for (const path of needed) {
      expect(copied, `COPY ${path}`).toContain(path);
      expect(ignoredByDockerignore(path), `.dockerignore drops ${path}`).toBe(false);
    }
    for (const file of ['shared/config/load.ts', 'test/harness/fleet.ts', 'scripts/copy-assets.mjs', 'shared/session-store/scripts']) {
      expect(ignoredByDockerignore(file), `.dockerignore drops ${file}`).toBe(false);
    }
    for (const path of ['node_modules', 'dist', '.git', 'test/unit/config.test.ts', 'test/integration', 'deploy/k8s/base']) {
      expect(ignoredByDockerignore(path), `.dockerignore keeps ${path}`).toBe(true);
    }
  });

  it('runs as a numeric non-root user with only package.json, node_modules and dist from the build', () => {
    const user = of(runtime, 'USER').map(args).at(-1) ?? '0';
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(of(runtime, 'RUN')).toEqual([]);
    const fromBuild = of(runtime, 'COPY').map((instruction) => {
      expect(instruction instanceof Copy && instruction.getFromFlag()?.getValue(), args(instruction)).toBe('build');
      return instruction.getArguments()[0]!.getValue();
    });
    expect(fromBuild.sort()).toEqual(['/app/dist', '/app/node_modules', '/app/package.json']);
    expect(of(runtime, 'EXPOSE').map(args).join(' ')).toMatch(/\b2222\b/);
    expect(of(runtime, 'CMD').map(args).join('')).toContain('dist/services/all-in-one/main.js');
  });
});
