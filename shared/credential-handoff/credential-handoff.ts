/**
 * Credentials that arrive over HTTP (WebSSH2's Basic-auth and POST routes)
 * and must reach a socket that may land on another gateway. They are kept
 * server-side, sealed, for a short time, and can be taken exactly once; the
 * browser holds only an opaque id (in an HttpOnly cookie), so no sticky
 * sessions are needed and nothing secret sits in a URL or the page.
 */
import { createHash, randomBytes } from 'node:crypto';
import { authenticatePayload, type AuthenticatePayload } from '../protocol/inbound.js';
import type { SealedBox } from '../crypto/sealed-box.js';

/** Where sealed hand-offs live: Redis in a cluster, a Map in one process. */
export interface HandoffStorage {
  put(key: string, sealed: string, ttlMs: number): Promise<void>;
  /** Returns the value and deletes it in one step, or undefined if it is gone. */
  take(key: string): Promise<string | undefined>;
}

export class CredentialHandoff {
  constructor(
    private readonly storage: HandoffStorage,
    private readonly box: SealedBox,
    private readonly ttlMs: number,
  ) {}

  /** Keeps the credentials for `ttlMs` and returns the id that takes them. */
  async deposit(credentials: AuthenticatePayload): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const key = storageKeyOf(id);
    await this.storage.put(key, this.box.seal(JSON.stringify(credentials), key), this.ttlMs);
    return id;
  }

  /** The credentials, once: a second take, or a take after the TTL, finds nothing. */
  async take(id: string): Promise<AuthenticatePayload | undefined> {
    if (!HANDOFF_ID.test(id)) return undefined;
    const key = storageKeyOf(id);
    const sealed = await this.storage.take(key);
    if (sealed === undefined) return undefined;
    const parsed = authenticatePayload.safeParse(JSON.parse(this.box.open(sealed, key)));
    return parsed.success ? parsed.data : undefined;
  }
}

const HANDOFF_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Stored under a hash of the id, so whoever can read Redis finds neither
 * the credentials nor the id that would claim them.
 */
function storageKeyOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
