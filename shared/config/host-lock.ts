/**
 * FLEET_SSH_HOST_LOCK: every session goes to WEBSSH2_SSH_HOST, on
 * WEBSSH2_SSH_PORT. One rule, applied by the worker (the authority, whatever
 * a client sends) and by the gateway's login routes (so a page is never
 * built for another host). Hosts are compared in one spelling each
 * (`Server.Example.` is `server.example`, `::ffff:7f00:1` is `127.0.0.1`).
 */
import { canonicalHostName } from '../net/addresses.js';
import type { Config } from './schema.js';

type HostLockSettings = Pick<Config['ssh'], 'host' | 'hostLock' | 'port'>;

/** The host every session must go to, or undefined when none is locked. */
export function lockedHostOf(ssh: HostLockSettings): string | undefined {
  return ssh.hostLock ? ssh.host : undefined;
}

/** Why a session to `host`:`port` is refused under the lock, or undefined if it is not. */
export function hostLockRefusal(ssh: HostLockSettings, host: string, port: number): string | undefined {
  const locked = lockedHostOf(ssh);
  if (locked === undefined) return undefined;
  const sameHost = canonicalHostName(host) === canonicalHostName(locked);
  return sameHost && port === ssh.port ? undefined : `This gateway connects only to ${locked}:${ssh.port}`;
}
