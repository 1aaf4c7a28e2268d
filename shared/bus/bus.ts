/**
 * The bus carries session traffic between gateways and workers. Each process
 * reads exactly one inbox (its own) and writes to the inbox of the process on
 * the other end of a session, so the cost of a message is the same with ten
 * sessions in the cluster or ten thousand: no per-session reads, no fan-out.
 */
import type { Envelope } from './codec.js';
import type { BusMessage, InboxAddress } from './messages.js';

export type { Envelope };

/** Why messages may have been lost: the inbox was recreated, or the connection to it failed and came back. */
export type LossCause = 'recreated' | 'reconnected';

export interface Bus<Out extends BusMessage = BusMessage> {
  /** This process's own inbox. */
  readonly address: InboxAddress;
  /**
   * Appends to another process's inbox; messages to one inbox arrive in the
   * order they were posted. Resolves false when that inbox no longer exists:
   * its owner is gone, and nobody will read the message.
   */
  post(to: InboxAddress, message: Out): Promise<boolean>;
  /** Whether the process behind an inbox is alive (its inbox exists). */
  isAlive(address: InboxAddress): Promise<boolean>;
  /**
   * Called when messages sent to this process may have been lost: Redis lost
   * its inbox and it was recreated, or the connection to Redis failed and is
   * back (a failover to a replica can lose the last writes). Sessions then
   * fill the gaps by their offsets. Only buses that can lose messages offer it.
   */
  onMessagesLost?(listener: (cause: LossCause) => void): void;
  /** Called when this process's inbox cannot be read (Redis is away) and when it can again. */
  onReachable?(listener: (reachable: boolean) => void): void;
  /** Starts delivering this process's inbox to `handler`, in order. */
  listen(handler: (envelope: Envelope) => void): void;
  close(): Promise<void>;
}
