/**
 * Which web pages may use this gateway with the user's browser: open a
 * terminal socket, post a login, follow a login link. A WebSocket is not
 * subject to CORS and a form post or a link carries the user's cookies and
 * cached Basic credentials, so without these checks any site could act with
 * the user's network position.
 *
 * By default only the gateway's own origin may (the page it serves). Operators
 * widen it with WEBSSH2_HTTP_ORIGINS in WebSSH2's `host:port` form, `*` for
 * either part; WebSSH2's own default is `*:*`, any origin.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Whether a page at `origin` may proceed, on a request that arrived for `host` (its Host header). */
export function originAllowed(origin: string | undefined, allowed: readonly string[], host: string | undefined): boolean {
  // Non-browser clients send no Origin; there is no page to forge it.
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return sameOrigin(url, host) || listed(url, allowed);
}

/**
 * Why a request from another site is refused, or undefined when it may go on.
 * Browsers say where a request comes from in `Origin` (posts, sockets) and
 * `Sec-Fetch-Site` (every request, navigations included): a request from a
 * page of another site is refused unless its origin is one the operator
 * listed; one the user made by hand (`none`) or from our own page is not.
 */
export function crossSiteRefusal(headers: IncomingHttpHeaders, allowed: readonly string[]): string | undefined {
  const origin = headers.origin;
  if (origin !== undefined && !originAllowed(origin, allowed, headers.host)) return 'Origin not allowed';
  const site = headers['sec-fetch-site'];
  if (site === undefined || site === 'same-origin' || site === 'none') return undefined;
  // A listed origin may post to us from its own site; without an Origin (a link) nothing vouches for the page.
  return origin !== undefined && listedOrigin(origin, allowed) ? undefined : 'Cross-site request refused';
}

function sameOrigin(url: URL, host: string | undefined): boolean {
  if (!host) return false;
  let own: URL;
  try {
    own = new URL(`${url.protocol}//${host}`);
  } catch {
    return false;
  }
  // Both parsed under the origin's scheme, so a port left out means that scheme's default on both sides.
  return own.hostname === url.hostname && own.port === url.port;
}

function listedOrigin(origin: string, allowed: readonly string[]): boolean {
  try {
    return listed(new URL(origin), allowed);
  } catch {
    return false;
  }
}

function listed(url: URL, allowed: readonly string[]): boolean {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowed.some((entry) => {
    const separator = entry.lastIndexOf(':');
    const host = separator < 0 ? entry : entry.slice(0, separator);
    const entryPort = separator < 0 ? '*' : entry.slice(separator + 1);
    return (host === '*' || host.toLowerCase() === url.hostname.toLowerCase()) && (entryPort === '*' || entryPort === port);
  });
}
