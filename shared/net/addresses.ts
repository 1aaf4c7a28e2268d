/**
 * One spelling per address. Limits and locks are keyed by who or what an
 * address is, not by how it was typed: `::ffff:7f00:1`, `::FFFF:127.0.0.1`
 * and `127.0.0.1` are one host (names and numeric spellings such as `127.1`
 * or `0x7f000001` are resolved first, by the caller); IPv6 clients are
 * grouped by their network prefix, since one subscriber commonly holds a
 * whole /64.
 */
import { isIP, SocketAddress } from 'node:net';

/** The canonical text of an IP address: IPv4 dotted quad, IPv4-mapped IPv6 as IPv4, other IPv6 compressed lower case. */
export function canonicalAddress(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '');
  const version = isIP(bare);
  if (version === 4) return new SocketAddress({ address: bare, family: 'ipv4' }).address;
  if (version !== 6) return bare.toLowerCase();
  const [withoutZone, zone] = bare.split('%');
  const canonical = new SocketAddress({ address: withoutZone!, family: 'ipv6' }).address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(canonical);
  if (mapped) return mapped[1]!;
  return zone ? `${canonical}%${zone}` : canonical;
}

/**
 * A host as a user may name it, in one spelling: an address canonically, a
 * name in lower case without a trailing dot (`Server.Example.` is
 * `server.example`). Numeric spellings that are not addresses (`127.1`) stay
 * names here; resolving them is the destination policy's job.
 */
export function canonicalHostName(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '');
  return isIP(bare.split('%')[0]!) ? canonicalAddress(bare) : host.toLowerCase().replace(/\.$/, '');
}

/**
 * The key under which a client address counts against per-client limits:
 * an IPv4 address itself, an IPv6 address's network of `ipv6PrefixBits`
 * (written `<network>/<bits>`).
 */
export function clientKey(address: string, ipv6PrefixBits: number): string {
  const canonical = canonicalAddress(address);
  if (isIP(canonical) !== 6 || ipv6PrefixBits >= 128) return canonical;
  const bytes = ipv6Bytes(canonical.split('%')[0]!);
  for (let bit = ipv6PrefixBits; bit < 128; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  const hextets = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
  return `${canonicalAddress(hextets.join(':'))}/${ipv6PrefixBits}`;
}

/** The 16 bytes of a canonical IPv6 address (as canonicalAddress writes it). */
function ipv6Bytes(address: string): number[] {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').flatMap(hextetBytes) : []);
  const front = parse(head);
  const back = parse(tail);
  return [...front, ...new Array<number>(16 - front.length - back.length).fill(0), ...back];
}

function hextetBytes(piece: string): number[] {
  // An embedded IPv4 tail (::ffff:1.2.3.4 is mapped to IPv4 before this, ::1.2.3.4 is not).
  if (piece.includes('.')) return piece.split('.').map(Number);
  const value = parseInt(piece, 16);
  return [value >> 8, value & 0xff];
}
