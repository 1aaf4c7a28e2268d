/**
 * Resume tokens (session-extension.md rule 1): 256 random bits handed to the
 * client, stored only as an HMAC under a key derived from the cluster secret,
 * and compared in constant time. The HMAC covers the session id too: a hash
 * copied from another session's record (by anyone who can write to Redis
 * and holds a token of their own) does not open this one.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export function newResumeToken(): string {
  return randomBytes(32).toString('base64url');
}

export class ResumeTokenHasher {
  constructor(private readonly key: Buffer) {}

  hash(sid: string, token: string): string {
    return createHmac('sha256', this.key).update(`${sid}\u0000${token}`).digest('base64url');
  }

  matches(sid: string, token: string, storedHash: string): boolean {
    const presented = Buffer.from(this.hash(sid, token));
    const stored = Buffer.from(storedHash);
    return presented.length === stored.length && timingSafeEqual(presented, stored);
  }
}
