/**
 * What one socket reports to the worker as taken of the session's output
 * (session-extension.md rule 5): terminal output as an offset (`ack`), exec
 * output as bytes (`exec-ack`).
 *
 * The ground truth is what the socket has written to the operating system
 * (socket-writer.ts). Clients that send `session:ack` report what they have
 * rendered, which may be less: the worker hears the smaller of the two. A
 * client cannot acknowledge what has not left this process, so one that
 * stops reading and acknowledges blindly stops its window all the same.
 * Stock clients, which never acknowledge, are paced by the writes alone.
 *
 * Acknowledgements go out in steps well below the low-water mark, so a
 * paused channel always sees enough acknowledged to resume.
 */
import type { Delivered } from './socket-writer.js';

export type AckMessage = { type: 'ack'; offset: number } | { type: 'exec-ack'; bytes: number };

export class OutputAcks {
  private delivered: Delivered = { output: 0, exec: 0 };
  /** The output offset the worker was last told. */
  private acked = 0;
  /** The exec bytes the worker was last told about, as a running total. */
  private execAcked = 0;
  /** The client's own latest acknowledgement, once it sends any. */
  private clientOffset: number | undefined;
  private readonly stepBytes: number;

  constructor(
    lowWaterBytes: number,
    private readonly emitted: () => number,
    private readonly send: (ack: AckMessage) => void,
  ) {
    this.stepBytes = Math.max(1, Math.min(64 * 1024, Math.floor(lowWaterBytes / 4)));
  }

  /**
   * A new output stream position (a login starts at 0, a resume at its
   * offset). Exec output not yet acknowledged was the previous socket's:
   * the worker forgets it too when a socket attaches.
   */
  restart(offset: number): void {
    this.acked = offset;
    this.delivered = { output: offset, exec: this.delivered.exec };
    this.execAcked = this.delivered.exec;
    if (this.clientOffset !== undefined) this.clientOffset = offset;
  }

  /** The socket has written this much to the OS. */
  written(delivered: Delivered): void {
    this.delivered = { output: Math.max(this.delivered.output, delivered.output), exec: Math.max(this.delivered.exec, delivered.exec) };
    this.reportOutput();
    if (this.delivered.exec - this.execAcked >= this.stepBytes) {
      const bytes = this.delivered.exec - this.execAcked;
      this.execAcked = this.delivered.exec;
      this.send({ type: 'exec-ack', bytes });
    }
  }

  /** The client's own acknowledgement; false when it claims bytes it was never sent. */
  fromClient(offset: number): boolean {
    if (offset > this.emitted()) return false;
    this.clientOffset = Math.max(this.clientOffset ?? 0, offset);
    this.reportOutput();
    return true;
  }

  /**
   * Only whole steps are reported. The worker's view then trails the truth
   * by less than a step, a quarter of the low-water mark at most, so a
   * paused channel still resumes once the client has caught up; and a
   * keystroke's echo, acknowledged by the page, costs no message to the
   * worker (interactive output stays far inside a step).
   */
  private reportOutput(): void {
    const taken = this.clientOffset === undefined ? this.delivered.output : Math.min(this.clientOffset, this.delivered.output);
    if (taken - this.acked < this.stepBytes) return;
    this.acked = taken;
    this.send({ type: 'ack', offset: taken });
  }
}
