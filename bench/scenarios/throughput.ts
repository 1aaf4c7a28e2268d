/**
 * Output throughput: one command prints `bytes` of base64 text (one line, so
 * the pty adds nothing) followed by an end marker; the clock runs from
 * sending the command to seeing the marker. CPU time of the fleet's
 * processes and of this client process is taken over the same interval.
 */
import { randomBytes } from 'node:crypto';
import { cpuMs, delta, sample, type Pids } from '../process-usage.js';
import { OutputTail, waitForPrompt, within, type Shell } from '../shell.js';

export interface ThroughputResult {
  /** Output bytes received after the command was sent (payload, echo, marker). */
  bytes: number;
  /** Output chunks received; through the fleet one per bus entry, so bytes/chunks is the worker's coalescing. */
  chunks: number;
  seconds: number;
  /** CPU ms spent by each measured process during the transfer. */
  cpuMs: Record<string, number>;
  /** CPU ms of the client process (ssh2 decryption for the direct baseline). */
  clientCpuMs: number;
}

export async function measureThroughput(open: () => Promise<Shell>, bytes: number, pids: Pids, timeoutMs: number): Promise<ThroughputResult> {
  const shell = await within(open(), 30_000, 'login');
  try {
    await waitForPrompt(shell, 30_000);
    const nonce = randomBytes(4).toString('hex');
    const marker = `__BENCH_END_${nonce}__`;
    // base64 turns 3 bytes into 4 chars; printf joins the marker from two
    // pieces so the echoed command line cannot contain it.
    const rawBytes = Math.floor(bytes / 4) * 3;
    const command = `head -c ${rawBytes} /dev/urandom | base64 -w 0; echo; printf '%s%s\\n' __BENCH_ END_${nonce}__\r`;

    let received = 0;
    let chunks = 0;
    const tail = new OutputTail();
    const sawMarker = new Promise<bigint>((resolve) => {
      shell.onOutput((chunk) => {
        received += chunk.length;
        chunks++;
        tail.push(chunk);
        if (tail.text.includes(marker)) resolve(process.hrtime.bigint());
      });
    });

    const cpuBefore = sample(pids, cpuMs);
    const clientBefore = process.cpuUsage();
    const start = process.hrtime.bigint();
    shell.type(command);
    const end = await within(sawMarker, timeoutMs, `transfer of ${bytes} bytes`);
    const clientCpu = process.cpuUsage(clientBefore);
    const cpuAfter = sample(pids, cpuMs);
    return {
      bytes: received,
      chunks,
      seconds: Number(end - start) / 1e9,
      cpuMs: delta(cpuBefore, cpuAfter),
      clientCpuMs: (clientCpu.user + clientCpu.system) / 1000,
    };
  } finally {
    shell.close();
  }
}
