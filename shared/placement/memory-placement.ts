/**
 * The all-in-one mode's placement: a FIFO in memory with the same capacity
 * rules as the BullMQ consumer.
 */
import type { PlacementConsumer, PlacementQueue, SetupHandler } from './placement.js';
import type { SessionJob } from './session-job.js';

export class MemoryPlacement implements PlacementQueue, PlacementConsumer {
  private readonly waiting: SessionJob[] = [];
  private setup: SetupHandler | undefined;
  private freeSlots = 0;
  private running = 0;
  private closed = false;

  constructor(private readonly setupConcurrency: number) {}

  async enqueue(job: SessionJob): Promise<void> {
    this.waiting.push(job);
    this.pump();
  }

  async withdraw(sid: string): Promise<boolean> {
    const index = this.waiting.findIndex((job) => job.sid === sid);
    if (index < 0) return false;
    this.waiting.splice(index, 1);
    return true;
  }

  async waitingCount(): Promise<number> {
    return this.waiting.length;
  }

  start(setup: SetupHandler): void {
    this.setup = setup;
    this.pump();
  }

  setFreeSlots(slots: number): void {
    this.freeSlots = Math.max(0, slots);
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private pump(): void {
    const setup = this.setup;
    if (!setup) return;
    while (!this.closed && this.running < Math.min(this.setupConcurrency, this.freeSlots) && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      this.running++;
      void setup(job)
        .then((outcome) => {
          if (outcome === 'declined') this.waiting.unshift(job);
        })
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }
}
