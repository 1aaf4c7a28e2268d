/**
 * Where a session may connect. The name is resolved here, the resolved
 * address is checked against the allow-list, and the SSH connection is made
 * to that same address: no second lookup, so no DNS-rebinding window.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { SubnetAllowList } from '../../shared/config/cidr.js';

export type Destination = { allowed: true; address: string } | { allowed: false; message: string; reason: 'dns' | 'not-permitted' };

export async function resolveDestination(host: string, allowList: SubnetAllowList): Promise<Destination> {
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
  const address = addresses.find((candidate) => allowList.allows(candidate));
  return address ? { allowed: true, address } : { allowed: false, message: `Connection to host ${host} is not permitted`, reason: 'not-permitted' };
}
