/**
 * The all-in-one mode's bus: inboxes are handlers in one process. Delivery is
 * asynchronous (a microtask), as it is over Redis, so both modes run the same
 * code paths in the same order.
 */
import type { Bus, Envelope } from './bus.js';
import type { BusMessage, InboxAddress } from './messages.js';

export class MemoryBusHub {
  private readonly inboxes = new Map<InboxAddress, (envelope: Envelope) => void>();

  connect<Out extends BusMessage>(address: InboxAddress): Bus<Out> {
    const inboxes = this.inboxes;
    return {
      address,
      async post(to, message) {
        const deliver = inboxes.get(to);
        if (!deliver) return false;
        const sentAt = Date.now();
        queueMicrotask(() => deliver({ from: address, message, sentAt }));
        return true;
      },
      async isAlive(other) {
        return inboxes.has(other);
      },
      listen(handler) {
        inboxes.set(address, handler);
      },
      async close() {
        inboxes.delete(address);
      },
    };
  }
}
