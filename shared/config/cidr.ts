/**
 * CIDR parsing and matching for destination policy, IPv4 and IPv6 alike.
 * Built on node:net's BlockList so address normalisation (IPv4-mapped IPv6,
 * zero compression) is Node's, not ours.
 */
import { BlockList, isIP } from 'node:net';

export interface CidrBlock {
  network: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export function parseCidr(text: string): CidrBlock | null {
  const [network, prefixText, ...rest] = text.trim().split('/');
  if (!network || rest.length > 0) return null;
  const version = isIP(network);
  if (version === 0) return null;
  const maxPrefix = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix || (prefixText !== undefined && !/^\d+$/.test(prefixText))) return null;
  return { network, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** The set of allowed destination addresses; `null` list means "anything". */
export class SubnetAllowList {
  private readonly blocks = new BlockList();
  readonly isOpen: boolean;

  constructor(cidrs: readonly string[]) {
    this.isOpen = cidrs.length === 0;
    for (const text of cidrs) {
      const block = parseCidr(text);
      if (!block) throw new Error(`not a CIDR block: ${text}`);
      this.blocks.addSubnet(block.network, block.prefix, block.family);
    }
  }

  /** `address` must be a literal IP (resolve names first). */
  allows(address: string): boolean {
    if (this.isOpen) return true;
    const version = isIP(address);
    if (version === 0) return false;
    if (this.blocks.check(address, version === 4 ? 'ipv4' : 'ipv6')) return true;
    // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 host it maps to.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    return mapped !== null && this.blocks.check(mapped[1]!, 'ipv4');
  }
}
