/**
 * The cluster's SSH host-key trust store: which key each host:port is known
 * to present, one per key type. Workers read it when they connect (one round
 * trip, however many hosts and keys it holds), seed it at start-up from the
 * operator's known_hosts file, and add to it when a user accepts an unknown
 * key (trust on first use, for every worker at once). Redis in a cluster, a
 * Map in the all-in-one process.
 */
import type { HostKey } from './host-key.js';

export interface KnownHost {
  host: string;
  port: number;
  key: HostKey;
}

export interface HostKeyStore {
  /** The keys trusted for host:port, at most one per key type. */
  trustedKeys(host: string, port: number): Promise<HostKey[]>;
  /**
   * Trust on first use: stores `key` unless a key of its type is already
   * trusted for host:port (another worker may have got there first), and
   * returns the key trusted for that type afterwards; 'full' when the store
   * holds its maximum of entries and has none for this one (nothing stored).
   */
  trustIfUnknown(host: string, port: number, key: HostKey): Promise<HostKey | 'full'>;
  /** The operator's word (known_hosts): these keys replace any of the same host, port and type. */
  trust(entries: readonly KnownHost[]): Promise<void>;
}

/**
 * One entry's name. Host names are compared without case, as OpenSSH does;
 * the port is always spelled out, so `example.com` in known_hosts is
 * `example.com:22:<type>` here.
 */
export function trustKeyOf(host: string, port: number, type: string): string {
  return `${host.toLowerCase()}:${port}:${type}`;
}
