/**
 * The protocol documents (docs/protocol/) stay true to the code's names,
 * both ways: every browser event, bus message type, Redis key and Lua script
 * the code has is in its table, and every name in those tables is real.
 * Payloads, defaults and prose are not checked here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keyLayout, type KeyLayout } from '../../shared/bus/keys.js';
import { toGatewayMessage, toWorkerMessage } from '../../shared/bus/messages.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface Table {
  /** The nearest heading above the table. */
  heading: string;
  header: string[];
  rows: string[][];
}

/** Cells split on `|`, except `\|` (an escaped bar inside a cell). */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

function tablesOf(markdown: string): Table[] {
  const tables: Table[] = [];
  let heading = '';
  let current: Table | undefined;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('#')) heading = line.replace(/^#+\s*/, '');
    if (!line.startsWith('|')) {
      current = undefined;
      continue;
    }
    if (!current) {
      current = { heading, header: cells(line), rows: [] };
      tables.push(current);
    } else if (!/^\|[\s|:-]+\|?$/.test(line.trim())) {
      current.rows.push(cells(line));
    }
  }
  return tables;
}

/** The one backticked name a cell holds, or undefined when it holds anything else. */
function backticked(cell: string | undefined): string | undefined {
  return /^`([^`]+)`$/.exec(cell ?? '')?.[1];
}

/** The member names of one interface in shared/protocol/events.ts (a docs test may read the source). */
function interfaceMembers(source: string, name: string): string[] {
  const body = new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1];
  if (!body) throw new Error(`interface ${name} not found in shared/protocol/events.ts`);
  return body
    .split('\n')
    .map((line) => /^\s*(?:'([^']+)'|([A-Za-z_$][\w$]*))\s*:/.exec(line))
    .flatMap((match) => (match ? [match[1] ?? match[2]!] : []));
}

describe('browser and session-extension documents', () => {
  const events = read('shared/protocol/events.ts');
  const maps = {
    'server -> client': new Set(interfaceMembers(events, 'ServerToClientEvents')),
    'client -> server': new Set(interfaceMembers(events, 'ClientToServerEvents')),
  };
  /** Rows of every table with an `event` and a `direction` column. */
  const documented = ['docs/protocol/browser.md', 'docs/protocol/session-extension.md'].flatMap((path) =>
    tablesOf(read(path))
      .filter((table) => table.header.includes('event') && table.header.includes('direction'))
      .flatMap((table) => {
        const eventColumn = table.header.indexOf('event');
        const directionColumn = table.header.indexOf('direction');
        return table.rows.map((row) => ({ path, cell: row[eventColumn] ?? '', name: backticked(row[eventColumn]), direction: row[directionColumn] ?? '' }));
      }),
  );

  it('reads both event maps from the source', () => {
    expect(maps['server -> client']).toContain('session:info');
    expect(maps['client -> server']).toContain('authenticate');
    expect(maps['server -> client'].size).toBeGreaterThan(10);
    expect(maps['client -> server'].size).toBeGreaterThan(5);
  });

  it('has every event of both maps in a table row, with its direction', () => {
    for (const [direction, names] of Object.entries(maps)) {
      const rows = new Set(documented.filter((row) => row.direction === direction).map((row) => row.name));
      expect([...names].filter((name) => !rows.has(name)), `${direction} events without a row`).toEqual([]);
    }
  });

  it('has no row for an event the maps do not have', () => {
    const wrong = documented.filter((row) => {
      const names = maps[row.direction as keyof typeof maps];
      return !names || row.name === undefined || !names.has(row.name);
    });
    expect(wrong.map((row) => `${row.path}: ${row.cell} (${row.direction})`)).toEqual([]);
  });
});

describe('bus document', () => {
  const tables = tablesOf(read('docs/protocol/bus.md'));

  /** The backticked names in the first column of the tables under `heading`, whose first header is `column`. */
  function firstColumn(heading: string, column: string): string[] {
    const under = tables.filter((table) => table.heading === heading && table.header[0] === column);
    expect(under.length, `a table under "${heading}"`).toBeGreaterThan(0);
    return under.flatMap((table) => table.rows.map((row) => backticked(row[0]) ?? `(not one backticked name: ${row[0]})`));
  }

  it.each([
    ['Gateway -> worker messages', toWorkerMessage],
    ['Worker -> gateway messages', toGatewayMessage],
  ] as const)('lists every message type of its direction, and no other: %s', (heading, union) => {
    const types: string[] = union.options.map((option) => option.shape.type.value);
    const listed = firstColumn(heading, 'type');
    expect(types.filter((type) => !listed.includes(type)), 'types without a row').toEqual([]);
    expect(listed.filter((type) => !types.includes(type)), 'rows that are no type of this direction').toEqual([]);
  });

  it('lists every key keys.ts builds, and no other', () => {
    const layout = keyLayout('<p>');
    // Placeholder arguments for each builder; `prefix` builders make the start of the keys in their row.
    const built: Record<Exclude<keyof KeyLayout, 'prefix'>, { keys: string[]; prefix?: true }> = {
      inbox: { keys: [layout.inbox('gw:<id>'), layout.inbox('worker:<id>')] },
      session: { keys: [layout.session('<sid>')] },
      endedSession: { keys: [layout.endedSession('<sid>')] },
      handoff: { keys: [layout.handoff('<hash>')] },
      pendingHandoffs: { keys: [layout.pendingHandoffs()] },
      hostKeys: { keys: [layout.hostKeys()] },
      limiterPrefix: { keys: [layout.limiterPrefix('<name>')], prefix: true },
      attemptSlots: { keys: Object.values(layout.attemptSlots('<kind>', '<key>')) },
      bullPrefix: { keys: [layout.bullPrefix()], prefix: true },
    };
    const builders = Object.entries(layout).filter(([, value]) => typeof value === 'function').map(([name]) => name);
    expect(builders.filter((name) => !(name in built)), 'key builders this test has no placeholders for').toEqual([]);

    const rows = firstColumn('Redis keys', 'key');
    const covers = (entry: { keys: string[]; prefix?: true }, row: string) =>
      entry.keys.some((key) => (entry.prefix ? row.startsWith(`${key}:`) : row === key));
    const missing = Object.entries(built).flatMap(([name, entry]) => entry.keys.filter((key) => !rows.some((row) => covers({ ...entry, keys: [key] }, row))).map((key) => `${name}: ${key}`));
    expect(missing, 'keys without a row').toEqual([]);
    expect(rows.filter((row) => !Object.values(built).some((entry) => covers(entry, row))), 'rows no builder makes').toEqual([]);
  });

  it('names every Lua script, and no script that does not exist', () => {
    const bus = read('docs/protocol/bus.md');
    const scripts = readdirSync(new URL('shared/', root), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap((dir) => {
        try {
          return readdirSync(new URL(`shared/${dir.name}/scripts/`, root)).filter((file) => file.endsWith('.lua')).map((file) => `shared/${dir.name}/scripts/${file}`);
        } catch {
          return [];
        }
      });
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.filter((path) => !bus.includes(path)), 'scripts bus.md does not name').toEqual([]);
    const named = [...bus.matchAll(/`([^`\s]+\.lua)`/g)].map((match) => match[1]!);
    const exists = (name: string) => scripts.some((path) => path === name || path.endsWith(`/${name}`));
    expect(named.filter((name) => !exists(name)), 'scripts named in bus.md that do not exist').toEqual([]);
  });
});
