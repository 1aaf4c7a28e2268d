/**
 * Credentials that arrive over HTTP (WebSSH2's Basic-auth and POST routes)
 * and must reach a socket that may land on another gateway. They are kept
 * server-side, sealed, for a short time, and can be taken exactly once; the
 * browser holds only an opaque id (in an HttpOnly cookie), so no sticky
 * sessions are needed and nothing secret sits in a URL or the page.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { authenticatePayload, type AuthenticatePayload } from '../protocol/inbound.js';
import type { SealedBox } from '../crypto/sealed-box.js';

/** Where sealed hand-offs live: Redis in a cluster, a Map in one process. */
export interface HandoffStorage {
  /** Keeps the value for `ttlMs`; false when the storage holds its maximum of pending hand-offs. */
  put(key: string, sealed: string, ttlMs: number): Promise<boolean>;
  /** Returns the value and deletes it in one step, or undefined if it is gone. */
  take(key: string): Promise<string | undefined>;
}

/** What a login route leaves for the socket. */
export interface HandoffGrant {
  credentials: AuthenticatePayload;
  /**
   * The route named the host (`/ssh/host/:host`): the socket may log in to
   * that host and port only, also when the user retypes the credentials.
   */
  hostLocked: boolean;
}

const handoffGrant = z.object({ credentials: authenticatePayload, hostLocked: z.boolean() });

export class CredentialHandoff {
  constructor(
    private readonly storage: HandoffStorage,
    private readonly box: SealedBox,
    private readonly ttlMs: number,
  ) {}

  /**
   * Keeps the grant for `ttlMs` and returns the id that takes it, or
   * undefined when too many hand-offs are pending (a flood of logins nobody
   * follows up).
   */
  async deposit(grant: HandoffGrant): Promise<string | undefined> {
    const id = randomBytes(32).toString('base64url');
    const key = storageKeyOf(id);
    return (await this.storage.put(key, this.box.seal(JSON.stringify(grant), key), this.ttlMs)) ? id : undefined;
  }

  /** The grant, once: a second take, or a take after the TTL, finds nothing. */
  async take(id: string): Promise<HandoffGrant | undefined> {
    if (!HANDOFF_ID.test(id)) return undefined;
    const key = storageKeyOf(id);
    const sealed = await this.storage.take(key);
    if (sealed === undefined) return undefined;
    const parsed = handoffGrant.safeParse(JSON.parse(this.box.open(sealed, key)));
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
