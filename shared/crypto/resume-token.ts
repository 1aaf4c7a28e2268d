/**
 * Resume tokens (session-extension.md rule 1): 256 random bits handed to the
 * client, stored only as an HMAC under a key derived from the cluster secret,
 * and compared in constant time.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export function newResumeToken(): string {
  return randomBytes(32).toString('base64url');
}

export class ResumeTokenHasher {
  constructor(private readonly key: Buffer) {}

  hash(token: string): string {
    return createHmac('sha256', this.key).update(token).digest('base64url');
  }

  matches(token: string, storedHash: string): boolean {
    const presented = Buffer.from(this.hash(token));
    const stored = Buffer.from(storedHash);
    return presented.length === stored.length && timingSafeEqual(presented, stored);
  }
}
