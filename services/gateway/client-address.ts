/**
 * The browser's address, for per-client limits and logs. Behind a load
 * balancer every socket comes from the balancer; its X-Forwarded-For is
 * believed only when the peer is one of FLEET_TRUSTED_PROXIES, so a client
 * cannot pick its own address to dodge a limit.
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

export type ProxyTrust = (address: string, hop: number) => boolean;

export function proxyTrust(trustedProxies: readonly string[]): ProxyTrust {
  return proxyaddr.compile([...trustedProxies]);
}

export function clientAddressOf(request: IncomingMessage, trust: ProxyTrust): string {
  return proxyaddr(request, trust);
}

/**
 * Whether the browser reached us over HTTPS: TLS on this socket, or a
 * trusted proxy saying so in X-Forwarded-Proto (from anyone else the header
 * means nothing).
 */
export function arrivedOverHttps(request: IncomingMessage, trust: ProxyTrust): boolean {
  if ((request.socket as { encrypted?: boolean }).encrypted) return true;
  const peer = request.socket.remoteAddress;
  if (!peer || !trust(peer, 0)) return false;
  const proto = request.headers['x-forwarded-proto'];
  return (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase() === 'https';
}
