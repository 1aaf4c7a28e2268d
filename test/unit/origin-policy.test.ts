import { describe, expect, it } from 'vitest';
import { originAllowed } from '../../services/gateway/origin-policy.js';

describe('origin policy (WEBSSH2_HTTP_ORIGINS)', () => {
  it('follows WebSSH2 host:port entries with wildcards', () => {
    expect(originAllowed('http://evil.example', ['*:*'])).toBe(true);
    expect(originAllowed('https://ssh.example.com', ['ssh.example.com:443'])).toBe(true);
    expect(originAllowed('https://ssh.example.com:8443', ['ssh.example.com:443'])).toBe(false);
    expect(originAllowed('http://localhost:2222', ['localhost:*'])).toBe(true);
    expect(originAllowed('http://evil.example:2222', ['localhost:*', '*:443'])).toBe(false);
    expect(originAllowed('null', ['localhost:*'])).toBe(false);
  });

  it('lets clients without an Origin header through (no page to forge it)', () => {
    expect(originAllowed(undefined, ['localhost:2222'])).toBe(true);
  });
});
