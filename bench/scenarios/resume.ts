/**
 * Resume after a gateway's death: a cluster of one worker and a pool of
 * gateways, one session on it printing a timestamp every ~10 ms forever,
 * and the gateway that carries the session SIGKILLed over and over. Each
 * sample is the time from the SIGKILL to the first byte of output the
 * client receives after `session:resumed` on the next gateway (the client
 * notices the dead socket, waits its 50 ms reconnect delay, connects,
 * resumes, and the worker sends what it produced meanwhile).
 *
 * The client is the test harness's ResumingClient (the reference resume
 * implementation), run in the bench process itself: the bench has to send
 * the SIGKILL and respawn the gateway, and both clocks must be the same one.
 * After each kill the dead gateway is respawned on its port, so the pool
 * stays at its size, and the next kill waits `pauseMs` more. The first
 * `warmupKills` kills are not recorded.
 *
 * Correctness is checked along the way: the client's errors (its own check
 * that every `session:resumed` offset equals the bytes it received, and any
 * ssherror) must stay empty, no resume may fail, and every output line after
 * the command starts must be a whole 19-digit timestamp greater than the one
 * before (a byte lost or replayed twice across a resume breaks that).
 *
 * The scenario starts and stops its own cluster; the cluster is stopped
 * however the scenario ends.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ResumingClient } from '../../test/harness/resuming-client.js';
import { startCluster } from '../fleet.js';
import { percentile } from '../stats.js';
import { OutputTail, type ShellTarget } from '../shell.js';

export interface ResumeResult {
  gateways: number;
  kills: number;
  /** SIGKILL to the first byte of resumed output, per recorded kill, in order. */
  samplesMs: number[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The same for the unrecorded warm-up kills. */
  warmupMs: number[];
  /** Per recorded kill, SIGKILL to the client seeing its socket closed (ms resolution, Date.now). */
  socketLostMs: number[];
  /** Per recorded kill, SIGKILL to `session:resumed` (ms resolution, Date.now). */
  resumedMs: number[];
  /** Output bytes the session delivered, and the timestamp lines checked. */
  outputBytes: number;
  lines: number;
}

export interface ResumeOptions {
  target: ShellTarget;
  /** Environment of every fleet process. */
  env: Record<string, string>;
  gateways: number;
  kills: number;
  warmupKills: number;
  /** Between a respawned gateway answering /readyz and the next kill. */
  pauseMs: number;
  progress: (message: string) => void;
}

/** Output every ~10 ms, forever: a resumed session always has a byte to send at once. */
const COMMAND = 'while :; do date +%s%N; sleep 0.01; done';
const LOGIN_TIMEOUT_MS = 30_000;
/** From SIGKILL to resumed output; normally well under a second. */
const KILL_TIMEOUT_MS = 15_000;
const LINES_BEFORE_FIRST_KILL = 20;
const CLOSE_TIMEOUT_MS = 10_000;

export async function measureResume(options: ResumeOptions): Promise<ResumeResult> {
  const { target, gateways, kills, warmupKills, pauseMs, progress } = options;
  const cluster = await startCluster(options.env, { gateways });
  let client: ResumingClient | undefined;
  try {
    const lines = new TimestampLines();
    const tail = new OutputTail();
    /** Set while a kill waits for its first resumed byte. */
    let waiting: { resumesBefore: number; firstOutputAt?: bigint } | undefined;
    const session = new ResumingClient({
      urls: cluster.urls,
      onOutput: (chunk) => {
        const at = process.hrtime.bigint();
        // 'resumed' is recorded before the output that follows it is handed to onOutput.
        if (waiting && waiting.firstOutputAt === undefined && resumeCount(session) > waiting.resumesBefore) waiting.firstOutputAt = at;
        tail.push(chunk);
        lines.feed(chunk);
      },
    });
    client = session;
    await session.start({ username: target.username, password: target.password, host: target.host, port: target.port });
    await session.until(() => tail.text.endsWith('$ '), LOGIN_TIMEOUT_MS, 'the shell prompt');
    session.type(`${COMMAND}\r`);
    await session.until(() => lines.count >= LINES_BEFORE_FIRST_KILL || lines.problem !== undefined, LOGIN_TIMEOUT_MS, `${LINES_BEFORE_FIRST_KILL} timestamp lines`);

    const samplesMs: number[] = [];
    const warmupMs: number[] = [];
    const socketLostMs: number[] = [];
    const resumedMs: number[] = [];
    for (let kill = 0; kill < warmupKills + kills; kill++) {
      const label = kill < warmupKills ? `warm-up kill ${kill + 1}/${warmupKills}` : `kill ${kill - warmupKills + 1}/${kills}`;
      const victim = cluster.urls.indexOf(session.url);
      if (victim === -1) throw new Error(`the client is on ${session.url}, not on one of the cluster's gateways`);
      const gateway = cluster.gateways[victim]!;
      const eventsBefore = session.events.length;
      waiting = { resumesBefore: resumeCount(session) };
      session.moveToNextGateway();
      const t0Wall = Date.now();
      const t0 = process.hrtime.bigint();
      const exited = gateway.kill('SIGKILL');
      const newEvents = () => session.events.slice(eventsBefore);
      const killFailed = (): boolean =>
        failed(session, lines) || newEvents().some((e) => e.type === 'resume-failed' || e.type === 'closed' || e.type === 'detached');
      const pending = waiting;
      await session.until(() => pending.firstOutputAt !== undefined || killFailed(), KILL_TIMEOUT_MS, `resumed output after ${label} of ${gateway.name}`);
      waiting = undefined;
      if (killFailed()) throw new Error(`${label} of ${gateway.name}: ${problems(session, lines)}; events since the kill: ${JSON.stringify(newEvents())}`);
      const ms = Number(pending.firstOutputAt! - t0) / 1e6;
      const lost = newEvents().find((e) => e.type === 'socket-lost');
      const resumed = newEvents().find((e) => e.type === 'resumed');
      if (kill < warmupKills) {
        warmupMs.push(ms);
      } else {
        samplesMs.push(ms);
        socketLostMs.push(lost && 'atMs' in lost ? lost.atMs - t0Wall : Number.NaN);
        resumedMs.push(resumed && 'atMs' in resumed ? resumed.atMs - t0Wall : Number.NaN);
      }
      progress(`resume ${label}: ${gateway.name} -> ${session.url}, first resumed output after ${ms.toFixed(1)} ms`);
      await exited;
      await cluster.respawnGateway(victim);
      await delay(pauseMs);
    }

    // Still streaming, and still consistent, after the last resume.
    const linesNow = lines.count;
    await session.until(() => lines.count >= linesNow + 10 || failed(session, lines), KILL_TIMEOUT_MS, 'output after the last resume');
    if (failed(session, lines)) throw new Error(`after the last resume: ${problems(session, lines)}`);
    await endSession(session);
    return {
      gateways,
      kills,
      samplesMs,
      p50Ms: percentile(samplesMs, 50),
      p99Ms: percentile(samplesMs, 99),
      maxMs: Math.max(...samplesMs),
      warmupMs,
      socketLostMs,
      resumedMs,
      outputBytes: session.outputOffset,
      lines: lines.count,
    };
  } finally {
    client?.close();
    await cluster.stop();
  }
}

function resumeCount(session: ResumingClient): number {
  return session.events.filter((e) => e.type === 'resumed').length;
}

function failed(session: ResumingClient, lines: TimestampLines): boolean {
  return session.errors.length > 0 || lines.problem !== undefined;
}

function problems(session: ResumingClient, lines: TimestampLines): string {
  return [...session.errors, ...(lines.problem === undefined ? [] : [lines.problem])].join(' | ');
}

/** Ctrl-C and `exit`, so the SSH session really ends instead of waiting detached for a resume. */
async function endSession(session: ResumingClient): Promise<void> {
  session.type('\x03');
  await delay(100);
  session.type('exit\r');
  await session.until(() => session.events.some((e) => e.type === 'closed'), CLOSE_TIMEOUT_MS, 'session:closed after exit');
}

/**
 * Checks the command's output as it streams in: once the first timestamp
 * line has come, every line is a 19-digit nanosecond timestamp, each greater
 * than the last.
 */
class TimestampLines {
  count = 0;
  problem: string | undefined;
  private last = 0n;
  private partial = '';

  feed(chunk: Buffer): void {
    if (this.problem !== undefined) return;
    const lines = (this.partial + chunk.toString('latin1')).split('\r\n');
    this.partial = lines.pop()!;
    for (const raw of lines) {
      // As a terminal shows it: bash starts the command's output with ESC[?2004l\r.
      const line = raw.slice(raw.lastIndexOf('\r') + 1);
      if (this.count === 0 && !/^\d+$/.test(line)) continue;
      if (!/^\d{19}$/.test(line)) {
        this.problem = `line ${this.count + 1} of the output is ${JSON.stringify(line.slice(0, 40))}, not a timestamp`;
        return;
      }
      const value = BigInt(line);
      if (value <= this.last) {
        this.problem = `timestamp ${line} (line ${this.count + 1}) does not follow ${this.last}: output repeated`;
        return;
      }
      this.last = value;
      this.count++;
    }
    // A line never gets this long: the stream lost its line breaks.
    if (this.count > 0 && this.partial.length > 64) this.problem = `no line break in ${this.partial.length} bytes: ${JSON.stringify(this.partial.slice(0, 40))}`;
  }
}
