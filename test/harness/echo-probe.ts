/**
 * A neighbour that keeps working: a healthy session that types `echo` lines
 * one after another while an attack runs elsewhere, and measures how long
 * each took to come back. The attack suites assert that every echo came
 * back within a bound, which is the promise: one user's misbehaviour costs
 * no one else their terminal.
 */
import type { ProtocolClient } from './protocol-client.js';

export interface EchoStats {
  echoes: number;
  /** Round trips over the bound (each still waited for, up to `giveUpMs`). */
  late: number;
  maxMs: number;
  p50Ms: number;
}

export class EchoProbe {
  private running = false;
  private readonly latencies: number[] = [];
  private loop: Promise<void> | undefined;
  private sequence = 0;

  constructor(
    private readonly client: ProtocolClient,
    private readonly options: {
      boundMs: number;
      gapMs?: number;
      giveUpMs?: number;
      /** `shell` (a real shell runs `echo`) or `echo` (a scripted target echoes the line back). */
      target?: 'shell' | 'echo';
    } = { boundMs: 1000 },
  ) {}

  /** One echo now, outside the loop (e.g. to check the shell is ready). */
  async once(): Promise<number> {
    const marker = `probe${++this.sequence}x`;
    const from = this.client.output.length;
    const sentAt = performance.now();
    let pattern: RegExp;
    if (this.options.target === 'echo') {
      this.client.type(`${marker}\r`);
      pattern = new RegExp(`${marker}\\r\\n`);
    } else {
      // The quotes split the marker in the typed line, so only the echo's output matches.
      this.client.type(`echo ${marker.slice(0, 3)}""${marker.slice(3)}\r`);
      pattern = new RegExp(`[\\r\\n]${marker}\\r\\n`);
    }
    await this.client.waitUntilOutputFrom(from, pattern, this.options.giveUpMs ?? 20_000);
    return performance.now() - sentAt;
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        this.latencies.push(await this.once());
        await new Promise((resolve) => setTimeout(resolve, this.options.gapMs ?? 100));
      }
    })();
  }

  async stop(): Promise<EchoStats> {
    this.running = false;
    await this.loop;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      echoes: sorted.length,
      late: sorted.filter((ms) => ms > this.options.boundMs).length,
      maxMs: Math.round(sorted.at(-1) ?? 0),
      p50Ms: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
    };
  }
}
