/**
 * Placement over a BullMQ queue. A job is removed as soon as it ends, so its
 * (sealed) credentials do not outlive the login. No retries: a failed login
 * is the user's answer, not a transient fault.
 */
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';
import type { KeyLayout } from '../bus/keys.js';
import { PLACEMENT_QUEUE_NAME } from '../bus/keys.js';
import type { PlacementConsumer, PlacementQueue, SetupHandler } from './placement.js';
import { sessionJobSchema, type SessionJob } from './session-job.js';

export class BullmqPlacementQueue implements PlacementQueue {
  private readonly queue: Queue<SessionJob>;

  constructor(connection: RedisClient, keys: KeyLayout) {
    this.queue = new Queue<SessionJob>(PLACEMENT_QUEUE_NAME, { connection, prefix: keys.bullPrefix() });
  }

  async enqueue(job: SessionJob): Promise<void> {
    await this.queue.add('session', job, { jobId: job.sid, attempts: 1, removeOnComplete: true, removeOnFail: true });
  }

  async withdraw(sid: string): Promise<boolean> {
    return (await this.queue.remove(sid)) === 1;
  }

  async waitingCount(): Promise<number> {
    return this.queue.getWaitingCount();
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

const DECLINE_BACKOFF_MS = 50;

export interface BullmqPlacementConsumerOptions {
  connection: RedisClient;
  keys: KeyLayout;
  /** Upper bound on logins run at once, whatever the free capacity. */
  setupConcurrency: number;
  onError: (error: Error, context: string) => void;
}

export class BullmqPlacementConsumer implements PlacementConsumer {
  private worker: Worker<SessionJob> | undefined;
  private freeSlots = 0;
  private paused = true;

  constructor(private readonly options: BullmqPlacementConsumerOptions) {}

  start(setup: SetupHandler): void {
    const { connection, keys, setupConcurrency, onError } = this.options;
    this.worker = new Worker<SessionJob>(
      PLACEMENT_QUEUE_NAME,
      async (job: Job<SessionJob>, token?: string) => {
        const parsed = sessionJobSchema.safeParse(job.data);
        if (!parsed.success) throw new Error(`malformed session job ${job.id}: ${parsed.error.message}`);
        if ((await setup(parsed.data)) === 'declined') {
          // Back to the queue for a worker with room (BullMQ's documented way
          // for a processor to hand a job back).
          await job.moveToDelayed(Date.now() + DECLINE_BACKOFF_MS, token);
          throw new DelayedError();
        }
      },
      {
        connection,
        prefix: keys.bullPrefix(),
        autorun: false,
        concurrency: Math.max(1, Math.min(setupConcurrency, this.freeSlots)),
        // A job whose worker died mid-login is not retried elsewhere: the
        // session's claim already names the dead worker, and the gateway's
        // placement timeout reports the failure.
        maxStalledCount: 0,
      },
    );
    this.worker.on('error', (error) => onError(error, 'placement worker'));
    this.worker.on('failed', (job, error) => onError(error, `placement job ${job?.id ?? '?'}`));
    this.apply();
  }

  setFreeSlots(slots: number): void {
    this.freeSlots = Math.max(0, slots);
    this.apply();
  }

  async close(): Promise<void> {
    await this.worker?.close();
  }

  private apply(): void {
    const worker = this.worker;
    if (!worker || worker.closing) return;
    if (this.freeSlots === 0) {
      if (!this.paused) {
        this.paused = true;
        void worker.pause(true);
      }
      return;
    }
    worker.concurrency = Math.min(this.options.setupConcurrency, this.freeSlots);
    if (this.paused) {
      this.paused = false;
      // resume() both starts a worker that never ran and wakes one that
      // pause() stopped (run() would return at once while paused is set).
      void worker.resume();
    }
  }
}
