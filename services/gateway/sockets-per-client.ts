/**
 * Open sockets per client address on this gateway (FLEET_LIMIT_SOCKETS_PER_IP):
 * checked at the Socket.IO handshake, before a socket costs anything. Per
 * gateway, because a socket lives on one; an IPv6 client counts as its
 * network prefix, as for every per-address limit.
 */
import { clientKey } from '../../shared/net/addresses.js';

export class SocketsPerClient {
  private readonly open = new Map<string, number>();

  constructor(
    private readonly limit: number,
    private readonly ipv6PrefixBits: number,
  ) {}

  admits(address: string): boolean {
    return (this.open.get(clientKey(address, this.ipv6PrefixBits)) ?? 0) < this.limit;
  }

  /** Counts a socket from `address`; call the returned function once when it closes. */
  opened(address: string): () => void {
    const key = clientKey(address, this.ipv6PrefixBits);
    this.open.set(key, (this.open.get(key) ?? 0) + 1);
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    };
  }
}
