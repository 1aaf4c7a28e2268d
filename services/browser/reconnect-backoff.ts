/**
 * Delays between attempts to get a lost session back. The first retry comes
 * almost at once (a gateway that was killed has siblings ready behind the
 * load balancer); later ones back off exponentially so a client that lost
 * its network does not hammer the cluster, and all of them are jittered so a
 * gateway's clients do not return in one wave.
 */
export interface BackoffPolicy {
  firstMinMs: number;
  firstMaxMs: number;
  capMs: number;
}

export const RESUME_BACKOFF: BackoffPolicy = { firstMinMs: 50, firstMaxMs: 250, capMs: 5_000 };

export class ReconnectBackoff {
  private attempt = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt. */
  next(): number {
    const { firstMinMs, firstMaxMs, capMs } = this.policy;
    const attempt = this.attempt++;
    if (attempt === 0) return firstMinMs + this.random() * (firstMaxMs - firstMinMs);
    const ceiling = Math.min(capMs, firstMaxMs * 2 ** attempt);
    return ceiling / 2 + (this.random() * ceiling) / 2;
  }

  /** An attempt succeeded: the next loss starts from a quick retry again. */
  reset(): void {
    this.attempt = 0;
  }
}
