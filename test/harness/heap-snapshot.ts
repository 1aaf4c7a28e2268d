/**
 * Heap snapshots of running processes, read here: a process started with
 * `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=<dir>` (heapSnapshotEnv)
 * writes one when signalled, after a full garbage collection, so what it
 * holds is what is still reachable. summarize() counts the objects by
 * constructor; a test can then ask how many of a class a process keeps.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface HeapSnapshots {
  /** Environment for the processes to snapshot (NODE_OPTIONS). */
  env: Record<string, string>;
  /** Signals `pid` and resolves with the snapshot's text once it is complete. */
  take(pid: number, timeoutMs?: number): Promise<string>;
  remove(): void;
}

export function heapSnapshots(): HeapSnapshots {
  const dir = mkdtempSync(join(tmpdir(), 'wsf-heap-'));
  const taken = new Set<string>();
  return {
    env: { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}` },
    async take(pid, timeoutMs = 60_000) {
      process.kill(pid, 'SIGUSR2');
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const file = readdirSync(dir).find((name) => name.endsWith('.heapsnapshot') && name.includes(`.${pid}.`) && !taken.has(name));
        // Written in one go at the end: complete once the JSON closes.
        const text = file ? readFileSync(join(dir, file), 'utf8') : '';
        if (text.trimEnd().endsWith('}')) {
          taken.add(file!);
          return text;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      throw new Error(`no heap snapshot of ${pid} within ${timeoutMs} ms`);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

interface SnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** The kinds of heap node a program makes (not V8's own code, strings and hidden parts). */
const COUNTED_TYPES = new Set(['object', 'closure', 'regexp', 'native']);

/** Every node of the heap (V8's own included): its count and bytes are the live heap after the snapshot's full GC. */
export const ALL_NODES = '(all nodes)';

/**
 * Instances by constructor (objects), function (closures, as `closure:<name>`)
 * and the like, with the bytes they take themselves (self size); and under
 * ALL_NODES the whole heap, so that growth hiding in arrays, strings or a
 * Map's backing store shows too.
 */
export function summarize(snapshotText: string): Map<string, { count: number; bytes: number }> {
  const snapshot = JSON.parse(snapshotText) as SnapshotJson;
  const fields = snapshot.snapshot.meta.node_fields;
  const typeNames = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const byName = new Map<string, { count: number; bytes: number }>();
  const all = { count: 0, bytes: 0 };
  byName.set(ALL_NODES, all);
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    all.count++;
    all.bytes += snapshot.nodes[i + sizeAt]!;
    const type = typeNames[snapshot.nodes[i + typeAt]!]!;
    if (!COUNTED_TYPES.has(type)) continue;
    const bare = snapshot.strings[snapshot.nodes[i + nameAt]!]!;
    const name = type === 'object' ? bare : `${type}:${bare}`;
    const entry = byName.get(name) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snapshot.nodes[i + sizeAt]!;
    byName.set(name, entry);
  }
  return byName;
}

/** The classes whose count grew most between two summaries (the whole heap, ALL_NODES, aside). */
export function growth(before: Map<string, { count: number }>, after: Map<string, { count: number }>, top = 15): Array<{ name: string; added: number }> {
  return [...after]
    .filter(([name]) => name !== ALL_NODES)
    .map(([name, { count }]) => ({ name, added: count - (before.get(name)?.count ?? 0) }))
    .filter(({ added }) => added > 0)
    .sort((a, b) => b.added - a.added)
    .slice(0, top);
}
