/** Which address a limit counts: the peer's, unless the peer is a trusted proxy. */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddressOf, proxyTrust } from '../../services/gateway/client-address.js';

const request = (peer: string, forwardedFor?: string) =>
  ({ headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}, socket: { remoteAddress: peer }, connection: { remoteAddress: peer } }) as unknown as IncomingMessage;

describe('client address', () => {
  it('ignores X-Forwarded-For unless proxies are trusted', () => {
    expect(clientAddressOf(request('10.0.0.5', '203.0.113.9'), proxyTrust([]))).toBe('10.0.0.5');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(clientAddressOf(request('10.0.0.5', '203.0.113.9'), proxyTrust(['10.9.0.0/16']))).toBe('10.0.0.5');
  });

  it('takes the address the trusted proxy saw, not one the client wrote in front of it', () => {
    const trust = proxyTrust(['10.9.0.0/16']);
    expect(clientAddressOf(request('10.9.0.1', '203.0.113.9'), trust)).toBe('203.0.113.9');
    expect(clientAddressOf(request('10.9.0.1', '198.51.100.7, 203.0.113.9'), trust)).toBe('203.0.113.9');
  });
});
