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
