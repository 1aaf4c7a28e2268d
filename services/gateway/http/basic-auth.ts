/** RFC 7617 HTTP Basic credentials, as WebSSH2's /ssh/host/:host route takes them. */

export interface BasicCredentials {
  username: string;
  password: string;
}

export const BASIC_REALM = 'WebSSH2';

export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
