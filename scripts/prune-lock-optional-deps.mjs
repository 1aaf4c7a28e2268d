// npm records a package's optional platform dependencies in the lock file
// even when it could not resolve them (npm/cli#4828, #8320); `npm ci` then
// refuses the lock ("Missing: ... from lock file"). The registry this
// project installs from serves only the linux builds of msgpackr-extract, so
// after any `npm install`, run this to drop the optional edges that have no
// entry in the lock. test/unit/lock-file.test.ts checks it was done.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
let pruned = 0;
for (const entry of Object.values(lock.packages)) {
  for (const name of Object.keys(entry.optionalDependencies ?? {})) {
    if (!lock.packages[`node_modules/${name}`]) {
      delete entry.optionalDependencies[name];
      pruned++;
    }
  }
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`pruned ${pruned} optional dependencies with no lock entry`);
