import { describe, expect, it } from 'vitest';
import { parseCidr, SubnetAllowList } from '../../shared/config/cidr.js';

describe('CIDR allow-list', () => {
  it('parses IPv4 and IPv6 blocks and bare addresses, and rejects the rest', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ network: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('fd00::/8')).toEqual({ network: 'fd00::', prefix: 8, family: 'ipv6' });
    expect(parseCidr('192.168.1.7')).toEqual({ network: '192.168.1.7', prefix: 32, family: 'ipv4' });
    for (const bad of ['10.0.0.0/33', 'example.com/8', '10.0.0.0/8/1', '10.0.0.0/', '::/129', '10.0.0.0/8x']) {
      expect(parseCidr(bad), bad).toBeNull();
    }
  });

  it('allows addresses inside, refuses addresses outside, including IPv4-mapped IPv6', () => {
    const list = new SubnetAllowList(['10.0.0.0/8', '2001:db8::/32']);
    expect(list.allows('10.1.2.3')).toBe(true);
    expect(list.allows('::ffff:10.1.2.3')).toBe(true);
    expect(list.allows('2001:db8::1')).toBe(true);
    expect(list.allows('11.0.0.1')).toBe(false);
    expect(list.allows('::ffff:127.0.0.1')).toBe(false);
    expect(list.allows('2001:db9::1')).toBe(false);
    expect(list.allows('not-an-ip')).toBe(false);
  });

  it('is open (allows anything) when empty', () => {
    const list = new SubnetAllowList([]);
    expect(list.isOpen).toBe(true);
    expect(list.allows('203.0.113.9')).toBe(true);
  });
});
