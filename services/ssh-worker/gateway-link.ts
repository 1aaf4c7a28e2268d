/**
 * A session's way back to the browser: the inbox of the gateway that carries
 * it now, and the posting of every gateway-bound message there. A message
 * the bus could not deliver (that gateway's inbox is gone) detaches the
 * session: it waits for a resume through another gateway instead of
 * talking into the void.
 *
 * While no gateway carries the session, messages are dropped: shell output is
 * still kept by the output relay for the resume, and everything else is
 * state the resume re-establishes (`attached` carries the offsets).
 */
import type { Bus } from '../../shared/bus/bus.js';
import type { InboxAddress, ToGateway } from '../../shared/bus/messages.js';
import type { Logger } from '../../shared/log/logger.js';
import type { OutputSink } from './output-relay.js';

export class GatewayLink implements OutputSink {
  private carrier: InboxAddress | undefined;

  constructor(
    private readonly sid: string,
    gateway: InboxAddress,
    private readonly bus: Bus<ToGateway>,
    private readonly log: Logger,
    /** The carrier's inbox is gone: the session is detached (and waits for a resume). */
    private readonly lost: () => void,
  ) {
    this.carrier = gateway;
  }

  /** The gateway carrying the session; undefined while detached. */
  get gateway(): InboxAddress | undefined {
    return this.carrier;
  }

  /** Whether messages from `from` may drive the session. */
  carriedBy(from: InboxAddress): boolean {
    return from === this.carrier;
  }

  /** From now on `gateway` carries the session (undefined: nobody does). */
  carry(gateway: InboxAddress | undefined): void {
    this.carrier = gateway;
  }

  post(message: ToGateway): void {
    const gateway = this.carrier;
    if (!gateway) return;
    this.bus.post(gateway, message).then(
      (delivered) => this.settled(gateway, delivered),
      (error: Error) => this.log.warn({ err: error.message, type: message.type }, 'could not reach the gateway'),
    );
  }

  /** Posts to one gateway whether or not it carries the session (a refusal, a take-over notice). */
  postTo(gateway: InboxAddress, message: ToGateway): void {
    this.bus.post(gateway, message).catch((error: Error) => {
      this.log.warn({ err: error.message, type: message.type }, 'could not reach the gateway');
    });
  }

  /**
   * Shell output, with the input received so far: resolves once it is on its
   * way (or, while detached, at once: the relay keeps it).
   */
  send(offset: number, data: Buffer, inputOffset?: number): Promise<unknown> {
    const gateway = this.carrier;
    if (!gateway) return Promise.resolve();
    return this.bus.post(gateway, { type: 'output', sid: this.sid, offset, inputOffset, data }).then(
      (delivered) => this.settled(gateway, delivered),
      (error: Error) => this.log.warn({ err: error.message }, 'could not reach the gateway with output'),
    );
  }

  private settled(gateway: InboxAddress, delivered: boolean): void {
    if (!delivered && this.carrier === gateway) this.lost();
  }
}
