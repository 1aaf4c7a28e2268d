/**
 * `npm ci` (what CI runs) refuses a lock file whose entries name optional
 * dependencies it has no entry for; scripts/prune-lock-optional-deps.mjs
 * fixes that after an `npm install`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('package-lock.json', () => {
  it('has an entry for every optional dependency it names', () => {
    const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
      packages: Record<string, { optionalDependencies?: Record<string, string> }>;
    };
    const missing = Object.entries(lock.packages).flatMap(([at, entry]) =>
      Object.keys(entry.optionalDependencies ?? {})
        .filter((name) => !lock.packages[`node_modules/${name}`])
        .map((name) => `${name} (from ${at || 'the root'})`),
    );
    expect(missing, 'run: node scripts/prune-lock-optional-deps.mjs').toEqual([]);
  });
});
