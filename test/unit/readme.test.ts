/** The README's configuration table stays true to the schema, both ways. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_FILE_VARIABLE, ENVIRONMENT_VARIABLES } from '../../shared/config/load.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Operations'));
const documented = new Set([...table.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]!));

describe('README configuration table', () => {
  it('documents every variable the configuration reads, and no other', () => {
    const read = new Set([...Object.keys(ENVIRONMENT_VARIABLES), CONFIG_FILE_VARIABLE]);
    expect([...read].filter((name) => !documented.has(name))).toEqual([]);
    expect([...documented].filter((name) => !read.has(name))).toEqual([]);
  });
});
