/**
 * The bus carries session traffic between gateways and workers. Each process
 * reads exactly one inbox (its own) and writes to the inbox of the process on
 * the other end of a session, so the cost of a message is the same with ten
 * sessions in the cluster or ten thousand: no per-session reads, no fan-out.
 */
import type { Envelope } from './codec.js';
import type { BusMessage, InboxAddress } from './messages.js';

export type { Envelope };

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
   * Called when this process's inbox had to be recreated (Redis lost it):
   * messages sent to it meanwhile are gone. Only buses that can lose their
   * inbox offer it.
   */
  onRecreated?(listener: () => void): void;
  /** Starts delivering this process's inbox to `handler`, in order. */
  listen(handler: (envelope: Envelope) => void): void;
  close(): Promise<void>;
}
