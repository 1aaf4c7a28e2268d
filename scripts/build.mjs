// `npm run build`: TypeScript into dist/, the Lua scripts beside their
// modules, the page bundled into dist/public; then a marker that says the
// build is whole. Like make, it does nothing when the build is newer than
// everything it is built from (`--force` builds anyway), so running it
// while roles run from dist/ rewrites nothing under them needlessly.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { withBuildLock } from './build-lock.mjs';

export const BUILD_MARKER = 'dist/.build-complete';
/** Everything the build reads (tsconfig.build.json's include, the build scripts, the dependencies). */
const INPUTS = ['shared', 'services', 'bench', 'test/harness', 'scripts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

/** Whether dist/ holds a whole build newer than all of its inputs. */
export function buildIsCurrent() {
  return existsSync(BUILD_MARKER) && newestInput() <= statSync(BUILD_MARKER).mtimeMs;
}

export function build() {
  rmSync(BUILD_MARKER, { force: true });
  const run = (args) => execFileSync(process.execPath, args, { stdio: 'inherit' });
  run(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
  run(['scripts/copy-assets.mjs']);
  run(['scripts/build-browser.mjs']);
  writeFileSync(BUILD_MARKER, `${new Date().toISOString()}\n`);
}

function newestInput() {
  let newest = 0;
  const visit = (path) => {
    const stat = statSync(path);
    if (!stat.isDirectory()) return void (newest = Math.max(newest, stat.mtimeMs));
    for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  for (const input of INPUTS) if (existsSync(input)) visit(input);
  return newest;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const force = process.argv.includes('--force');
  try {
    await withBuildLock(() => {
      if (!force && buildIsCurrent()) return;
      build();
    });
  } catch (error) {
    // tsc and esbuild have printed their errors already.
    process.stderr.write(`build failed: ${error.message.split('\n')[0]}\n`);
    process.exit(1);
  }
}
