import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalAddress, clientKey } from '../../shared/net/addresses.js';

describe('canonical addresses', () => {
  it('writes every spelling of one address the same way', () => {
    for (const spelling of ['127.0.0.1', '::ffff:7f00:1', '::FFFF:127.0.0.1', '0:0:0:0:0:ffff:7f00:1', '[::ffff:127.0.0.1]']) {
      expect(canonicalAddress(spelling), spelling).toBe('127.0.0.1');
    }
    expect(canonicalAddress('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalAddress('2001:0db8::0001')).toBe('2001:db8::1');
    expect(canonicalAddress('[::1]')).toBe('::1');
    expect(canonicalAddress('fe80::1%eth0')).toBe('fe80::1%eth0');
  });

  it('is idempotent on any IPv6 address', () => {
    fc.assert(
      fc.property(fc.ipV6(), (address) => {
        const once = canonicalAddress(address);
        expect(canonicalAddress(once)).toBe(once);
      }),
    );
  });
});

describe('client keys', () => {
  it('groups IPv6 clients by their prefix and keeps IPv4 clients apart', () => {
    expect(clientKey('2001:db8:1:2:3:4:5:6', 64)).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:ffff::1', 64)).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:3::1', 64)).toBe('2001:db8:1:3::/64');
    expect(clientKey('2001:db8:1:3::1', 48)).toBe('2001:db8:1::/48');
    expect(clientKey('2001:db8:1:3::1', 128)).toBe('2001:db8:1:3::1');
    expect(clientKey('::ffff:10.0.0.7', 64)).toBe('10.0.0.7');
    expect(clientKey('10.0.0.7', 64)).toBe('10.0.0.7');
  });

  it('puts every address of a /64 under one key, whatever the spelling', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 4, maxLength: 4 }), (host) => {
        const address = `2001:db8:aa:bb:${host.map((n) => n.toString(16).toUpperCase()).join(':')}`;
        expect(clientKey(address, 64)).toBe('2001:db8:aa:bb::/64');
      }),
    );
  });
});
