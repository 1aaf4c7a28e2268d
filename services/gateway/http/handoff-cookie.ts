/**
 * The cookie that carries a credential hand-off id from an HTTP login route
 * to the page's socket. HttpOnly (the page's scripts never see it),
 * SameSite=Strict, scoped to /ssh (which covers /ssh/socket.io), and
 * cleared by the first socket that presents it.
 */
import { parseCookie, stringifySetCookie } from 'cookie';

export const HANDOFF_COOKIE = 'wsf_handoff';
const COOKIE_PATH = '/ssh';

export function handoffCookie(id: string, options: { maxAgeMs: number; secure: boolean }): string {
  return stringifySetCookie({
    name: HANDOFF_COOKIE,
    value: id,
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'strict',
    secure: options.secure,
    maxAge: Math.ceil(options.maxAgeMs / 1000),
  });
}

export function expiredHandoffCookie(): string {
  return stringifySetCookie({ name: HANDOFF_COOKIE, value: '', path: COOKIE_PATH, httpOnly: true, sameSite: 'strict', maxAge: 0 });
}

export function handoffIdOf(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  return parseCookie(cookieHeader)[HANDOFF_COOKIE] || undefined;
}
