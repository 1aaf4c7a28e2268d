/**
 * Placement hands new sessions to workers with free capacity. The job lasts
 * only until the SSH login is over; after that the session's lease (not the
 * job) says which worker owns it.
 */
import type { SessionJob } from './session-job.js';

export interface PlacementQueue {
  enqueue(job: SessionJob): Promise<void>;
  /** Takes back a job no worker has started yet; false if one already has. */
  withdraw(sid: string): Promise<boolean>;
  /** Sessions waiting for a worker with room. */
  waitingCount(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Runs one session's setup; resolves when the login has succeeded or failed
 * ('taken'), or at once with 'declined' when this worker has no room after
 * all, and the job goes back for another worker.
 */
export type SetupHandler = (job: SessionJob) => Promise<'taken' | 'declined'>;

export interface PlacementConsumer {
  start(setup: SetupHandler): void;
  /**
   * How many more sessions this worker can hold. At zero it takes no job;
   * above zero it runs at most that many setups at once.
   */
  setFreeSlots(slots: number): void;
  /** Stops taking jobs; setups already running finish. */
  close(): Promise<void>;
}
