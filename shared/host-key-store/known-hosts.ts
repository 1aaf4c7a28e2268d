/**
 * Reads an OpenSSH known_hosts file (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT")
 * into trust-store entries:
 *
 *   host key-type base64 [comment]           port 22
 *   [host]:port key-type base64 [comment]    another port
 *   host1,host2,[host3]:2222 key-type base64 one key, several names
 *
 * What cannot become an entry is reported, line by line, rather than
 * guessed at: hashed names (`|1|salt|hash`, written by HashKnownHosts; they
 * cannot be read back into a host name), wildcard and negated patterns,
 * `@cert-authority` and `@revoked` lines, key types ssh2 cannot verify, and
 * keys whose base64 is not a key of the type the line claims.
 */
import { HOST_KEY_ALGORITHMS, hostKeyOf } from './host-key.js';
import type { KnownHost } from './host-key-store.js';

export interface SkippedLine {
  /** 1-based line number. */
  line: number;
  reason: string;
}

export interface KnownHostsContent {
  entries: KnownHost[];
  skipped: SkippedLine[];
}

const DEFAULT_SSH_PORT = 22;

export function parseKnownHosts(text: string): KnownHostsContent {
  const entries: KnownHost[] = [];
  const skipped: SkippedLine[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/\s+/);
    if (fields[0]!.startsWith('@')) {
      skipped.push({ line, reason: `${fields[0]} lines are not supported` });
      return;
    }
    const [hostList, type, base64] = fields;
    if (type === undefined || base64 === undefined) {
      skipped.push({ line, reason: 'expected "hosts key-type base64-key"' });
      return;
    }
    if (!(type in HOST_KEY_ALGORITHMS)) {
      skipped.push({ line, reason: `key type ${type} is not supported` });
      return;
    }
    const key = /^[A-Za-z0-9+/]+={0,2}$/.test(base64) ? hostKeyOf(Buffer.from(base64, 'base64')) : undefined;
    if (key?.type !== type) {
      skipped.push({ line, reason: `the key is not a valid ${type} key` });
      return;
    }
    for (const pattern of hostList!.split(',')) {
      const target = hostOf(pattern);
      if (typeof target === 'string') skipped.push({ line, reason: target });
      else entries.push({ ...target, key });
    }
  });
  return { entries, skipped };
}

/** One name of a line's host list, or why it cannot be used. */
function hostOf(pattern: string): { host: string; port: number } | string {
  if (pattern.startsWith('|')) return 'hashed host names cannot be read back (add the host unhashed, e.g. from ssh-keyscan)';
  if (/[*?!]/.test(pattern)) return `host pattern ${pattern} is not supported (name each host)`;
  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(pattern);
  if (bracketed) {
    const port = Number(bracketed[2]);
    if (port < 1 || port > 65_535) return `${pattern} has an invalid port`;
    return { host: bracketed[1]!.toLowerCase(), port };
  }
  if (pattern === '' || pattern.includes('[') || pattern.includes(']')) return `"${pattern}" is not a host name`;
  return { host: pattern.toLowerCase(), port: DEFAULT_SSH_PORT };
}
