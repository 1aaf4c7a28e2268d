/**
 * `BENCH_ONLY=soak npm run bench`: the churn soak (issue 11). A cluster (1
 * gateway + 1 worker + redis-server) against a scripted ssh2 target carries a
 * standing crowd of terminals that keep typing, while new sessions keep
 * arriving, living a few seconds and ending: half by `exit`, half by a socket
 * dropped without a goodbye (the session then waits out its detach timeout).
 * Every process's RSS, Redis's memory and its key count are sampled; the
 * report gives each one's growth from the end of the warm-up to the end, and
 * the sessions opened and failed. Nothing the cluster holds may grow with
 * the sessions that have ended: the target is under 10 % per process.
 *
 *   BENCH_SOAK_MINUTES           length of the run after warm-up (default 30)
 *   BENCH_SOAK_WARMUP_MINUTES    warm-up (default 2)
 *   BENCH_SOAK_CROWD             standing terminals (default 500)
 *   BENCH_SOAK_LOGINS_PER_SECOND new sessions per second (default 5)
 *   BENCH_SOAK_DETACH_TIMEOUT_MS how long a dropped session waits (default 60000,
 *                                inside the warm-up, so the run starts steady)
 *   BENCH_SOAK_WORKER_HEAP_MB    caps the worker's JavaScript heap (unset: Node's default)
 *   BENCH_SOAK_HEAP_SNAPSHOTS    1: snapshot the gateway's and worker's heaps after warm-up and
 *                                at the end, and name the classes that grew
 *
 * Not in the default run: it takes half an hour.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import { SOCKET_IO_PATH, type ClientToServerEvents, type ServerToClientEvents } from '../shared/protocol/events.js';
import { startFleet, type Fleet } from '../test/harness/fleet.js';
import { ALL_NODES, growth, heapSnapshots, summarize, type HeapSnapshots } from '../test/harness/heap-snapshot.js';

type HeapSummary = ReturnType<typeof summarize>;
import { rssOf } from '../test/harness/memory-watch.js';
import { startScriptedSshServer, type ScriptedServerHandle } from '../test/harness/scripted-ssh-server.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

interface SoakConfig {
  minutes: number;
  warmupMinutes: number;
  crowd: number;
  loginsPerSecond: number;
  detachTimeoutMs: number;
  workerHeapMb: number | undefined;
  heapSnapshots: boolean;
}

interface Sample {
  atSeconds: number;
  rss: Record<string, number>;
  redisMemory: number;
  redisKeys: number;
  opened: number;
  failed: number;
}

const SAMPLE_EVERY_MS = 10_000;
/** A crowd terminal types a line this often (spread over the crowd). */
const CROWD_TYPING_MS = 10_000;
const CHURN_LIFETIME_MS = [2_000, 5_000] as const;

function number(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value > 0)) throw new Error(`${name}=${raw}: expected a positive number`);
  return value;
}

function readConfig(): SoakConfig {
  const heap = process.env.BENCH_SOAK_WORKER_HEAP_MB;
  return {
    minutes: number('BENCH_SOAK_MINUTES', 30),
    warmupMinutes: number('BENCH_SOAK_WARMUP_MINUTES', 2),
    crowd: Math.round(number('BENCH_SOAK_CROWD', 500)),
    loginsPerSecond: number('BENCH_SOAK_LOGINS_PER_SECOND', 5),
    detachTimeoutMs: Math.round(number('BENCH_SOAK_DETACH_TIMEOUT_MS', 60_000)),
    workerHeapMb: heap ? Math.round(number('BENCH_SOAK_WORKER_HEAP_MB', 64)) : undefined,
    heapSnapshots: process.env.BENCH_SOAK_HEAP_SNAPSHOTS === '1',
  };
}

function progress(message: string): void {
  process.stderr.write(`[soak] ${message}\n`);
}

/** One terminal: logs in, opens its shell, types; resolves once the shell answers. */
class Terminal {
  private readonly socket: ClientSocket;
  private output = '';
  private ended = false;
  private readonly waiting = new Set<() => void>();

  constructor(url: string, target: ScriptedServerHandle, private readonly onEnd: (cleanly: boolean) => void) {
    this.socket = io(url, { path: SOCKET_IO_PATH, transports: ['websocket'], reconnection: false, forceNew: true });
    this.socket.on('authentication', (message) => {
      if (message.action === 'request_auth') this.socket.emit('authenticate', { username: target.user, password: target.password, host: target.host, port: target.port });
      else if (message.action === 'auth_result' && !message.success) this.finish(false);
    });
    this.socket.on('getTerminal', () => this.socket.emit('terminal', { cols: 80, rows: 24 }));
    this.socket.on('data', (chunk) => {
      if (typeof chunk === 'string') return;
      // Only the tail matters for the prompt; a long-lived crowd terminal must not hoard its output.
      this.output = (this.output + Buffer.from(chunk as ArrayBuffer).toString('latin1')).slice(-256);
      for (const wake of [...this.waiting]) wake();
    });
    this.socket.on('session:closed', () => this.finish(true));
    this.socket.on('connect_error', () => this.finish(false));
    this.socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') this.finish(reason === 'io server disconnect');
    });
  }

  /** Resolves when the output ends with the prompt, or rejects after `timeoutMs`. */
  prompt(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!this.output.endsWith('$ ')) return;
        clearTimeout(timer);
        this.waiting.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiting.delete(check);
        reject(new Error('no prompt'));
      }, timeoutMs);
      this.waiting.add(check);
      check();
    });
  }

  type(line: string): void {
    this.socket.emit('data', `${line}\r`);
  }

  /** Ends with `exit` (the shell closes) or by dropping the connection without a goodbye. */
  end(how: 'exit' | 'drop'): void {
    if (how === 'exit') this.type('exit');
    else {
      this.ended = true;
      this.socket.io.engine.close();
      this.onEnd(true);
    }
  }

  private finish(cleanly: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.disconnect();
    this.onEnd(cleanly);
  }
}

export async function runSoak(): Promise<void> {
  const config = readConfig();
  progress(JSON.stringify(config));
  const target = await startScriptedSshServer('many-sessions');
  const snapshots: HeapSnapshots | undefined = config.heapSnapshots ? heapSnapshots() : undefined;
  const fleet: Fleet = await startFleet('cluster', {
    gateways: 1,
    workers: 1,
    env: {
      LOG_LEVEL: 'warn',
      FLEET_DETACH_TIMEOUT_MS: String(config.detachTimeoutMs),
      FLEET_WORKER_MAX_SESSIONS: String(config.crowd * 3 + 1000),
      // One client address opens every session: the per-address limits would measure themselves.
      FLEET_LIMIT_LOGINS_PER_IP: '100000000',
      FLEET_LIMIT_SESSIONS_PER_IP: '100000000',
      FLEET_LIMIT_LOGINS_IN_FLIGHT_PER_IP: '100000',
      FLEET_LIMIT_SOCKETS_PER_IP: '100000',
      FLEET_LIMIT_LOGIN_FAILURES_PER_TARGET: '100000',
    },
    ...(snapshots && { gatewayEnv: snapshots.env }),
    workerEnv: {
      NODE_OPTIONS: [snapshots?.env.NODE_OPTIONS, config.workerHeapMb && `--max-old-space-size=${config.workerHeapMb}`].filter(Boolean).join(' '),
    },
  });
  const redis = new Redis(fleet.redis!.url);
  const pids = { gateway: fleet.gateways[0]!.pid, worker: fleet.workers[0]!.pid, redis: fleet.redis!.pid };
  const url = fleet.urls[0]!;
  let opened = 0;
  let failed = 0;
  const timers: NodeJS.Timeout[] = [];
  const samples: Sample[] = [];
  const startedAt = Date.now();

  const openTerminal = async (): Promise<Terminal | undefined> => {
    let lost = false;
    const terminal = new Terminal(url, target, (cleanly) => {
      if (!cleanly) lost = true;
    });
    try {
      await terminal.prompt(30_000);
      opened++;
      return terminal;
    } catch {
      failed++;
      return undefined;
    } finally {
      if (lost) progress('a session failed');
    }
  };

  try {
    progress(`opening a crowd of ${config.crowd}`);
    const crowd: Terminal[] = [];
    for (let i = 0; i < config.crowd; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, config.crowd - i) }, () => openTerminal()));
      crowd.push(...batch.filter((terminal): terminal is Terminal => terminal !== undefined));
    }
    crowd.forEach((terminal, index) => {
      const start = setTimeout(() => {
        const typing = setInterval(() => terminal.type(`crowd ${index}`), CROWD_TYPING_MS);
        timers.push(typing);
      }, (index / crowd.length) * CROWD_TYPING_MS);
      timers.push(start);
    });

    let churned = 0;
    const churn = setInterval(() => {
      const how = churned++ % 2 === 0 ? 'exit' : 'drop';
      void openTerminal().then((terminal) => {
        if (!terminal) return;
        const typing = setInterval(() => terminal.type('busy'), 500);
        const [shortest, longest] = CHURN_LIFETIME_MS;
        setTimeout(() => {
          clearInterval(typing);
          terminal.end(how);
        }, shortest + Math.random() * (longest - shortest));
      });
    }, 1000 / config.loginsPerSecond);
    timers.push(churn);

    const sample = async (): Promise<Sample> => {
      const memory = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
      return {
        atSeconds: Math.round((Date.now() - startedAt) / 1000),
        rss: Object.fromEntries(Object.entries(pids).map(([role, pid]) => [role, rssOf(pid)])),
        redisMemory: memory,
        redisKeys: await redis.dbsize(),
        opened,
        failed,
      };
    };
    const totalMs = (config.warmupMinutes + config.minutes) * 60_000;
    const warmupEndsAt = startedAt + config.warmupMinutes * 60_000;
    /** Heap summaries of the Node processes at the end of the warm-up (with BENCH_SOAK_HEAP_SNAPSHOTS=1). */
    let warmupHeaps: Map<string, HeapSummary> | undefined;
    const heapsNow = async (): Promise<Map<string, HeapSummary>> => {
      const heaps = new Map<string, HeapSummary>();
      for (const role of ['gateway', 'worker'] as const) heaps.set(role, summarize(await snapshots!.take(pids[role])));
      return heaps;
    };
    while (Date.now() - startedAt < totalMs) {
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
      const now = await sample();
      samples.push(now);
      progress(`${now.atSeconds} s: rss ${Object.entries(now.rss).map(([role, bytes]) => `${role} ${(bytes / 1048576).toFixed(0)} MB`).join(', ')}; redis ${(now.redisMemory / 1048576).toFixed(1)} MB, ${now.redisKeys} keys; sessions ${now.opened} opened, ${now.failed} failed`);
      if (snapshots && !warmupHeaps && Date.now() >= warmupEndsAt) warmupHeaps = await heapsNow();
    }
    for (const timer of timers) clearInterval(timer);
    report(config, samples);
    if (snapshots && warmupHeaps) {
      const endHeaps = await heapsNow();
      for (const [role, before] of warmupHeaps) {
        const after = endHeaps.get(role)!;
        const mb = (summary: HeapSummary) => (summary.get(ALL_NODES)!.bytes / 1048576).toFixed(1);
        const grown = growth(before, after, 15);
        process.stdout.write(
          `\n${role}: live heap after a full GC ${mb(before)} MB at the end of warm-up, ${mb(after)} MB at the end; classes that grew:\n` +
            `${grown.map(({ name, added }) => `  ${name} +${added}`).join('\n') || '  none'}\n`,
        );
      }
    }
    await mkdir('.bench-results', { recursive: true });
    const file = join('.bench-results', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    await writeFile(file, JSON.stringify({ config, samples }, null, 2));
    progress(`raw samples: ${file}`);
  } finally {
    for (const timer of timers) clearInterval(timer);
    redis.disconnect();
    await fleet.stop();
    await target.stop();
    snapshots?.remove();
  }
}

/** RSS rises and falls with garbage collection: each end of the run is the median of this many minutes of samples. */
const REPORT_WINDOW_MINUTES = 3;

function report(config: SoakConfig, samples: Sample[]): void {
  const after = samples.filter((sample) => sample.atSeconds >= config.warmupMinutes * 60);
  const window = Math.max(1, Math.min(Math.floor(after.length / 2), Math.round((REPORT_WINDOW_MINUTES * 60_000) / SAMPLE_EVERY_MS)));
  const [early, late] = [after.slice(0, window), after.slice(-window)];
  const first = after[0] ?? samples[0]!;
  const last = samples.at(-1)!;
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const percent = (from: number, to: number) => `${(((to - from) / from) * 100).toFixed(1)} %`;
  const lines = [
    '',
    `Churn soak: ${config.minutes} min after a ${config.warmupMinutes} min warm-up; crowd ${config.crowd}, ${config.loginsPerSecond} new sessions/s living 2-5 s (half exit, half dropped, detach timeout ${config.detachTimeoutMs / 1000} s)${config.workerHeapMb ? `, worker heap capped at ${config.workerHeapMb} MB` : ''}`,
    `RSS: medians of the first and the last ${REPORT_WINDOW_MINUTES} min after warm-up (it rises and falls with garbage collection), and the highest sample.`,
    '',
    '| measure | start | end | growth | highest | target |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...Object.keys(last.rss).map((role) => {
      const [from, to] = [median(early.map((sample) => sample.rss[role]!)), median(late.map((sample) => sample.rss[role]!))];
      const highest = Math.max(...after.map((sample) => sample.rss[role]!));
      const growthPercent = ((to - from) / from) * 100;
      const mb = (bytes: number) => (bytes / 1048576).toFixed(0);
      return `| ${role} RSS, MB | ${mb(from)} | ${mb(to)} | ${growthPercent.toFixed(1)} % | ${mb(highest)} | < 10 % ${growthPercent < 10 ? '(met)' : '(missed)'} |`;
    }),
    `| Redis used memory, MB | ${(first.redisMemory / 1048576).toFixed(1)} | ${(last.redisMemory / 1048576).toFixed(1)} | ${percent(first.redisMemory, last.redisMemory)} | | grows until the notes of ended sessions expire (FLEET_ENDED_NOTE_TTL_MS, 15 min) |`,
    `| Redis keys | ${first.redisKeys} | ${last.redisKeys} | ${percent(first.redisKeys, last.redisKeys)} | | |`,
    `| sessions opened / failed | ${first.opened} / ${first.failed} | ${last.opened} / ${last.failed} | ${last.opened - first.opened} opened in the run | | no failure ${last.failed === 0 ? '(met)' : '(missed)'} |`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
