// tsc compiles TypeScript only; the Lua scripts that modules load at run
// time are copied beside their compiled modules: every `scripts/` folder
// under shared/.
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

for (const entry of readdirSync('shared', { withFileTypes: true })) {
  const scripts = join('shared', entry.name, 'scripts');
  if (!entry.isDirectory() || !readdirSync(join('shared', entry.name)).includes('scripts')) continue;
  cpSync(scripts, join('dist', scripts), { recursive: true });
}
