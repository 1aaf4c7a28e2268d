/**
 * FLEET_SSH_HOST_LOCK: every session goes to WEBSSH2_SSH_HOST. One rule,
 * applied by the worker (the authority, whatever a client sends) and by the
 * gateway's login routes (so a page is never built for another host).
 */
import type { Config } from './schema.js';

type HostLockSettings = Pick<Config['ssh'], 'host' | 'hostLock'>;

/** The host every session must go to, or undefined when none is locked. */
export function lockedHostOf(ssh: HostLockSettings): string | undefined {
  return ssh.hostLock ? ssh.host : undefined;
}

/** Why a session to `host` is refused under the lock, or undefined if it is not. */
export function hostLockRefusal(ssh: HostLockSettings, host: string): string | undefined {
  const locked = lockedHostOf(ssh);
  return locked !== undefined && host.toLowerCase() !== locked.toLowerCase() ? `This gateway connects only to ${locked}` : undefined;
}
