/**
 * SSH host keys as the trust store and the browser protocol see them: the
 * key type named inside the key itself, the key as base64 text (what
 * known_hosts holds), and its fingerprint as OpenSSH prints it.
 */
import { createHash } from 'node:crypto';

export interface HostKey {
  /** The type the key blob names, e.g. `ssh-ed25519` (known_hosts' second column). */
  type: string;
  /** The key blob, base64 (known_hosts' third column). */
  base64: string;
}

/**
 * Host key types ssh2 can verify, with the host key algorithms that yield
 * each. A known_hosts line of any other type cannot match a key ssh2
 * accepts, so it is skipped; the fixed list also bounds a lookup to one
 * field per type.
 */
export const HOST_KEY_ALGORITHMS: Readonly<Record<string, readonly string[]>> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ssh-dss': ['ssh-dss'],
};

export const HOST_KEY_TYPES: readonly string[] = Object.keys(HOST_KEY_ALGORITHMS);

/** The blob's own type (its first SSH string), or undefined for bytes that are no key blob. */
export function hostKeyOf(blob: Buffer): HostKey | undefined {
  if (blob.length < 4) return undefined;
  const typeLength = blob.readUInt32BE(0);
  if (typeLength === 0 || typeLength > 64 || 4 + typeLength > blob.length) return undefined;
  const type = blob.toString('latin1', 4, 4 + typeLength);
  if (!/^[\x21-\x7e]+$/.test(type)) return undefined;
  return { type, base64: blob.toString('base64') };
}

/** `SHA256:` and the unpadded base64 of the blob's SHA-256, as `ssh-keygen -l` prints it. */
export function fingerprintOf(key: HostKey): string {
  const digest = createHash('sha256').update(Buffer.from(key.base64, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

export function sameKey(a: HostKey, b: HostKey): boolean {
  return a.type === b.type && Buffer.from(a.base64, 'base64').equals(Buffer.from(b.base64, 'base64'));
}
