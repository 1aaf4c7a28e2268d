/**
 * Where a session may connect: an allowed port, the locked host if there is
 * one, and an address inside the allowed subnets. The name is resolved here,
 * the resolved address is checked, and the SSH connection is made to that
 * same address: no second lookup, so no DNS-rebinding window. Every
 * spelling of an address (a decimal `2130706433`, `127.1`, `::ffff:7f00:1`)
 * is judged by what it resolves to.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SubnetAllowList } from '../../shared/config/cidr.js';
import { hostLockRefusal, lockedHostOf } from '../../shared/config/host-lock.js';
import type { Config } from '../../shared/config/schema.js';
import { canonicalAddress } from '../../shared/net/addresses.js';

export type Destination = { allowed: true; address: string } | { allowed: false; message: string; reason: 'dns' | 'not-permitted' };

export class DestinationPolicy {
  private readonly subnets: SubnetAllowList;
  private readonly ports: ReadonlySet<number>;

  constructor(private readonly ssh: Pick<Config['ssh'], 'allowedSubnets' | 'allowedPorts' | 'host' | 'hostLock' | 'port'>) {
    this.subnets = new SubnetAllowList(ssh.allowedSubnets);
    this.ports = new Set(ssh.allowedPorts);
  }

  /** No subnet list and no host lock: any host the worker can reach. */
  get isOpenProxy(): boolean {
    return this.subnets.isOpen && lockedHostOf(this.ssh) === undefined;
  }

  async resolve(host: string, port: number): Promise<Destination> {
    if (this.ports.size > 0 && !this.ports.has(port)) {
      return { allowed: false, message: `Connection to port ${port} is not permitted`, reason: 'not-permitted' };
    }
    const outsideLock = hostLockRefusal(this.ssh, host, port);
    if (outsideLock) return { allowed: false, message: outsideLock, reason: 'not-permitted' };
    let addresses: string[];
    if (isIP(host)) {
      addresses = [host];
    } else {
      try {
        addresses = (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
      } catch {
        return { allowed: false, message: `Host not found: ${host}`, reason: 'dns' };
      }
    }
    const address = addresses.find((candidate) => this.subnets.allows(candidate));
    // One spelling per address from here on: the target lock and the host-key store key on it.
    return address
      ? { allowed: true, address: canonicalAddress(address) }
      : { allowed: false, message: `Connection to host ${host} is not permitted`, reason: 'not-permitted' };
  }
}
