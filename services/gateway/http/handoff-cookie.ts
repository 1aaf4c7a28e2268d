/**
 * The cookie that carries a credential hand-off id from an HTTP login route
 * to the page's socket: HttpOnly (the page's scripts never see it),
 * SameSite=Strict, and cleared by the first socket that presents it.
 *
 * Where the page is served over HTTPS (directly, or behind a trusted
 * TLS-terminating proxy) it is `__Host-wsf_handoff`: Secure, Path=/, no
 * Domain, which the browser guarantees no other host (a sibling subdomain)
 * can set or overwrite, so no one can slip a hand-off of theirs into a
 * victim's page. Over plain HTTP that prefix is not allowed; it is then
 * `wsf_handoff`, scoped to /ssh.
 */
import { parseCookie, stringifySetCookie } from 'cookie';

export const HANDOFF_COOKIE = 'wsf_handoff';
export const SECURE_HANDOFF_COOKIE = `__Host-${HANDOFF_COOKIE}`;

function attributes(secure: boolean) {
  return secure
    ? { name: SECURE_HANDOFF_COOKIE, path: '/', secure: true }
    : { name: HANDOFF_COOKIE, path: '/ssh', secure: false };
}

export function handoffCookie(id: string, options: { maxAgeMs: number; secure: boolean }): string {
  return stringifySetCookie({ ...attributes(options.secure), value: id, httpOnly: true, sameSite: 'strict', maxAge: Math.ceil(options.maxAgeMs / 1000) });
}

export function expiredHandoffCookie(secure: boolean): string {
  return stringifySetCookie({ ...attributes(secure), value: '', httpOnly: true, sameSite: 'strict', maxAge: 0 });
}

/** The hand-off id a request carries; over HTTPS only the `__Host-` cookie counts. */
export function handoffIdOf(cookieHeader: string | undefined, secure: boolean): string | undefined {
  if (!cookieHeader) return undefined;
  return parseCookie(cookieHeader)[attributes(secure).name] || undefined;
}
