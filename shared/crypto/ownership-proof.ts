/**
 * Who carries a session is decided by messages and records in Redis, and
 * whoever can write to Redis can write those. Every statement of ownership
 * therefore carries an HMAC under a key derived from the cluster secret,
 * which only the cluster's own processes hold:
 *
 * - the worker that owns a session: the session record's `owner` and the
 *   `claimed` message carry `owner(sid, worker)`; a gateway that finds it
 *   wrong sends nothing there (no prompt answer, no keystroke);
 * - the gateway that carries a session: `attach` carries a proof over the
 *   session, the gateway's inbox, the offset and the new token hash, with a
 *   time and a nonce, so it can be neither forged nor replayed; a worker
 *   that finds it wrong (or seen, or stale) attaches nothing.
 *
 * A writer without the secret can still disturb (delete keys, end
 * sessions); it cannot take a session to an inbox of its own.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long an attach proof is good for: a resume is answered in seconds; clocks may differ a little. */
export const ATTACH_PROOF_TTL_MS = 60_000;

export interface AttachClaim {
  sid: string;
  /** The gateway inbox that will carry the session. */
  gateway: string;
  offset: number;
  tokenHash: string;
  /** Epoch ms when the gateway issued it. */
  issuedAt: number;
  /** Random, so two attaches with the same fields differ; a worker accepts each once. */
  nonce: string;
}

export type AttachVerdict = 'valid' | 'forged' | 'stale';

export class OwnershipProofs {
  constructor(private readonly key: Buffer) {}

  /** The proof that `owner` (a worker inbox) owns `sid`. */
  owner(sid: string, owner: string): string {
    return this.mac(['owner', sid, owner]);
  }

  ownerMatches(sid: string, owner: string, proof: string | undefined): boolean {
    return proof !== undefined && sameText(this.owner(sid, owner), proof);
  }

  /** A fresh attach claim for `gateway`, with its proof. */
  attach(claim: Omit<AttachClaim, 'issuedAt' | 'nonce'>, now = Date.now()): AttachClaim & { proof: string } {
    const full = { ...claim, issuedAt: now, nonce: randomBytes(16).toString('base64url') };
    return { ...full, proof: this.mac(attachFields(full)) };
  }

  /** Whether an attach claim is the cluster's own, and recent (seen nonces are the caller's to track). */
  checkAttach(claim: AttachClaim, proof: string, now = Date.now()): AttachVerdict {
    if (!sameText(this.mac(attachFields(claim)), proof)) return 'forged';
    return Math.abs(now - claim.issuedAt) <= ATTACH_PROOF_TTL_MS ? 'valid' : 'stale';
  }

  private mac(fields: readonly string[]): string {
    // Fields are joined with a byte no field contains (ids, inbox names, numbers, base64url).
    return createHmac('sha256', this.key).update(fields.join('\u0000')).digest('base64url');
  }
}

function attachFields(claim: AttachClaim): string[] {
  return ['attach', claim.sid, claim.gateway, String(claim.offset), claim.tokenHash, String(claim.issuedAt), claim.nonce];
}

function sameText(expected: string, presented: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
