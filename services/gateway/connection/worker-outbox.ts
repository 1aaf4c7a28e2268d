/**
 * Messages from one browser session to its worker, in the order they were
 * posted. A worker whose inbox is missing may be dead, or recreating it after
 * a Redis restart: undelivered messages wait and are retried in order, and
 * the gateway's liveness check decides between the two.
 */
import type { Bus } from '../../../shared/bus/bus.js';
import type { InboxAddress, ToWorker } from '../../../shared/bus/messages.js';
import type { Logger } from '../../../shared/log/logger.js';

const RETRY_MS = 250;
/** A session that posts this much while its worker is unreachable drops the rest. */
const MAX_WAITING = 1_024;

interface Queued {
  seq: number;
  message: ToWorker;
}

export class WorkerOutbox {
  private worker: InboxAddress | undefined;
  private waiting: Queued[] = [];
  private posted = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Set while another socket of this gateway resumes the session: posts wait to see who wins. */
  private held: ToWorker[] | undefined;
  /** Bumped by reset(): answers to posts from before it are ignored. */
  private generation = 0;

  constructor(
    private readonly bus: Bus<ToWorker>,
    private readonly log: Logger,
  ) {}

  get address(): InboxAddress | undefined {
    return this.worker;
  }

  /** Sends to `worker` from now on, forgetting anything waiting for a previous one. */
  reset(worker?: InboxAddress): void {
    this.worker = worker;
    this.waiting = [];
    this.held = undefined;
    this.generation++;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Keeps posts back (in order, up to MAX_WAITING) until release() sends them or reset() drops them. */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const message of held) this.post(message);
  }

  post(message: ToWorker): void {
    if (!this.worker) return;
    if (this.held) {
      if (this.held.length < MAX_WAITING) this.held.push(message);
      return;
    }
    const entry = { seq: this.posted++, message };
    if (this.waiting.length > 0) {
      if (this.waiting.length < MAX_WAITING) this.waiting.push(entry);
      return;
    }
    this.deliver(entry);
  }

  private deliver(entry: Queued): void {
    const worker = this.worker;
    if (!worker) return;
    const generation = this.generation;
    this.bus.post(worker, entry.message).then(
      (delivered) => {
        if (delivered || generation !== this.generation) return;
        // Several posts may fail in flight: keep them in the order they were posted.
        const at = this.waiting.findIndex((queued) => queued.seq > entry.seq);
        this.waiting.splice(at < 0 ? this.waiting.length : at, 0, entry);
        this.retryTimer ??= setTimeout(() => this.retry(), RETRY_MS);
      },
      (error: Error) => this.log.warn({ sid: entry.message.sid, err: error.message }, 'could not reach the worker'),
    );
  }

  private retry(): void {
    this.retryTimer = undefined;
    for (const entry of this.waiting.splice(0)) this.deliver(entry);
  }
}
