/**
 * Turns what ssh2 and the socket layer throw during connect and login into
 * one sentence a user can act on, and a category for metrics.
 */
interface Ssh2Error extends Error {
  code?: string;
  level?: string;
}

/** Why a login failed, as a bounded set (a metrics label). */
export type LoginFailureReason =
  | 'refused'
  | 'unreachable'
  | 'timeout'
  | 'dns'
  | 'closed'
  | 'auth'
  | 'handshake'
  | 'key'
  | 'not-permitted'
  | 'cancelled'
  | 'prompt-timeout'
  /** The target is locked after too many refused logins (or too many at once). */
  | 'locked'
  /** The server's host key differs from the trusted one. */
  | 'host-key-changed'
  /** An unknown host key, refused by policy (unknownKeyAction: reject). */
  | 'host-key-unknown'
  /** An unknown host key the user did not accept. */
  | 'host-key-rejected'
  | 'other';

export function connectFailureReason(error: Ssh2Error): LoginFailureReason {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'unreachable';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'dns';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'closed';
  }
  if (/Connection lost before handshake/i.test(error.message)) return 'closed';
  if (error.level === 'client-authentication') return 'auth';
  if (error.level === 'handshake' || /no matching/i.test(error.message)) return 'handshake';
  if (/Cannot parse privateKey|Encrypted private OpenSSH key|bad passphrase|Malformed/i.test(error.message)) return 'key';
  return 'other';
}

export function describeConnectError(error: Ssh2Error, target: { host: string; port: number }): string {
  const where = `${target.host}:${target.port}`;
  switch (error.code) {
    case 'ECONNREFUSED':
      return `Connection refused by ${where}: no SSH server is listening there`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `Host unreachable: ${where}`;
    case 'ETIMEDOUT':
      return `Connection timeout: ${where} did not answer`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `Connection to ${where} was closed by the remote side during the SSH handshake`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Host not found: ${target.host}`;
  }
  if (/Connection lost before handshake/i.test(error.message)) {
    return `Connection to ${where} was closed by the remote side before the SSH handshake`;
  }
  if (error.level === 'client-authentication') {
    return 'Authentication failed: the server rejected the username, password or key';
  }
  if (error.level === 'handshake' || /no matching/i.test(error.message)) {
    return `SSH handshake with ${where} failed: ${error.message.replace(/^Handshake failed:\s*/i, '')}`;
  }
  if (/Cannot parse privateKey|Encrypted private OpenSSH key|bad passphrase|Malformed/i.test(error.message)) {
    return `The private key could not be used: ${error.message}`;
  }
  return `SSH connection to ${where} failed: ${error.message}`;
}

/** Thrown by the worker's own login deadline (ssh2's is disabled so prompts can wait). */
export function loginTimeoutMessage(target: { host: string; port: number }, timeoutMs: number): string {
  return `Connection timeout: no SSH login with ${target.host}:${target.port} within ${timeoutMs} ms`;
}
