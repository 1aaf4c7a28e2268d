// `npm start`, `npm run gateway`, `npm run worker`: runs a role from the
// build in dist/, in this process. Starting never rebuilds a build that
// exists, so any number of roles started at the same moment run the same
// code; building is `npm run build`. Only a checkout without a whole build
// (a fresh clone) is built here first, once, under the build lock.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { withBuildLock } from './build-lock.mjs';
import { BUILD_MARKER, build, buildIsCurrent } from './build.mjs';

const ROLES = {
  'all-in-one': 'dist/services/all-in-one/main.js',
  gateway: 'dist/services/gateway/main.js',
  worker: 'dist/services/ssh-worker/main.js',
};

const role = process.argv[2];
const main = ROLES[role];
if (!main) {
  process.stderr.write(`usage: node scripts/run-role.mjs ${Object.keys(ROLES).join('|')}\n`);
  process.exit(64);
}

if (!existsSync(BUILD_MARKER)) {
  try {
    await withBuildLock((waited) => {
      if (waited && existsSync(BUILD_MARKER)) return;
      process.stderr.write(`webssh-fleet ${role}: no build in dist/ yet; building it once (npm run build)\n`);
      build();
    });
  } catch (error) {
    // tsc and esbuild have printed their errors already.
    process.stderr.write(`webssh-fleet ${role}: the build failed: ${error.message.split('\n')[0]}\n`);
    process.exit(1);
  }
} else if (!buildIsCurrent()) {
  process.stderr.write(`webssh-fleet ${role}: the sources changed since the last build; run \`npm run build\` to use them\n`);
}

await import(pathToFileURL(main).href);
