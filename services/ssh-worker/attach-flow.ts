/**
 * Which gateway carries a session, over its life: an `attach` hands it to
 * the gateway that sent it (a resume, or the same gateway again after it
 * lost messages), a `detach` or a lost inbox leaves it carried by none for a
 * while, and a session nobody attaches to in time ends.
 *
 * An attach is believed only with a fresh proof made under the cluster
 * secret (crypto/ownership-proof.ts), each proof once: whoever can write to
 * Redis without the secret cannot take a session over.
 */
import type { InboxAddress, ToWorker } from '../../shared/bus/messages.js';
import { ATTACH_PROOF_TTL_MS, type OwnershipProofs } from '../../shared/crypto/ownership-proof.js';
import type { Logger } from '../../shared/log/logger.js';
import type { GatewayLink } from './gateway-link.js';

export type AttachRequest = Extract<ToWorker, { type: 'attach' }>;

/** What an attach needs from the session's channels. */
export interface AttachTarget {
  /** Whether output can be re-sent from `offset`. */
  canResendFrom(offset: number): 'ok' | 'gone' | 'ahead';
  /** The new carrier's windows start now: re-send output from `offset`, report the input offsets; returns the bytes re-sent. */
  handOver(offset: number): number;
}

export interface AttachSettings {
  detachTimeoutMs: number;
  replayBytes: number;
}

export class AttachFlow {
  /** Attach proofs already used, by nonce, with when (each is good once, and only for a while). */
  private readonly usedNonces = new Map<string, number>();
  private detachTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sid: string,
    /** The hash of the session's current resume token (each resume rotates it). */
    public tokenHash: string,
    private readonly link: GatewayLink,
    private readonly proofs: OwnershipProofs,
    private readonly settings: AttachSettings,
    private readonly log: Logger,
    /** Nobody attached within the detach timeout. */
    private readonly expired: () => void,
  ) {}

  attach(from: InboxAddress, request: AttachRequest, target: AttachTarget): void {
    const refusal = this.refusal(from, request);
    if (refusal) {
      // Not from one of the cluster's gateways (or a replay): whoever wrote
      // it can write to Redis but does not hold the cluster secret.
      this.log.warn({ event: 'attach-refused', from, why: refusal }, 'attach refused');
      return;
    }
    const { offset } = request;
    const check = target.canResendFrom(offset);
    if (check !== 'ok') {
      const message =
        check === 'gone'
          ? `Output before byte ${offset} is no longer kept (the last ${this.settings.replayBytes} bytes are)`
          : `Offset ${offset} is ahead of the output this session has sent`;
      this.link.postTo(from, { type: 'attach-failed', sid: this.sid, reason: check === 'gone' ? 'offset-gone' : 'forbidden', message });
      return;
    }
    const previous = this.link.gateway;
    if (previous && previous !== from) this.link.postTo(previous, { type: 'detached', sid: this.sid, reason: 'taken-over' });
    this.link.carry(from);
    this.tokenHash = request.tokenHash;
    this.stopClock();
    const resentBytes = target.handOver(offset);
    this.log.info({ event: 'session-attached', gateway: from, offset, resentBytes }, 'session attached');
  }

  /** No socket carries the session any more: keep it for a resume, for a while. */
  detach(): void {
    this.link.carry(undefined);
    if (this.detachTimer) return;
    const timeoutMs = this.settings.detachTimeoutMs;
    this.log.info({ event: 'session-detached', timeoutMs }, 'session detached');
    this.detachTimer = setTimeout(this.expired, timeoutMs);
  }

  stopClock(): void {
    clearTimeout(this.detachTimer);
    this.detachTimer = undefined;
  }

  /** Why an attach is not to be believed, or undefined when its proof holds and is fresh. */
  private refusal(from: InboxAddress, request: AttachRequest): string | undefined {
    const { proof, ...claim } = request;
    const verdict = this.proofs.checkAttach({ ...claim, gateway: from }, proof);
    if (verdict !== 'valid') return verdict;
    const now = Date.now();
    for (const [nonce, seenAt] of this.usedNonces) if (now - seenAt > 2 * ATTACH_PROOF_TTL_MS) this.usedNonces.delete(nonce);
    if (this.usedNonces.has(request.nonce)) return 'replayed';
    this.usedNonces.set(request.nonce, now);
    return undefined;
  }
}
