import { describe, expect, it } from 'vitest';
import { crossSiteRefusal, originAllowed } from '../../services/gateway/origin-policy.js';

const HOST = 'ssh.example.com';

describe('origin policy (WEBSSH2_HTTP_ORIGINS)', () => {
  it('allows only the page\'s own origin by default', () => {
    expect(originAllowed('https://ssh.example.com', [], 'ssh.example.com')).toBe(true);
    expect(originAllowed('http://localhost:2222', [], 'localhost:2222')).toBe(true);
    expect(originAllowed('https://ssh.example.com:443', [], 'ssh.example.com')).toBe(true);
    expect(originAllowed('https://ssh.example.com:8443', [], 'ssh.example.com')).toBe(false);
    expect(originAllowed('http://localhost:2223', [], 'localhost:2222')).toBe(false);
    expect(originAllowed('https://evil.example', [], HOST)).toBe(false);
    expect(originAllowed('https://ssh.example.com.evil.example', [], HOST)).toBe(false);
    expect(originAllowed('null', [], HOST)).toBe(false);
    expect(originAllowed('https://ssh.example.com', [], undefined)).toBe(false);
  });

  it('follows WebSSH2 host:port entries with wildcards, beside the own origin', () => {
    expect(originAllowed('http://evil.example', ['*:*'], HOST)).toBe(true);
    expect(originAllowed('https://portal.example.com', ['portal.example.com:443'], HOST)).toBe(true);
    expect(originAllowed('https://portal.example.com:8443', ['portal.example.com:443'], HOST)).toBe(false);
    expect(originAllowed('http://localhost:2222', ['localhost:*'], HOST)).toBe(true);
    expect(originAllowed('http://evil.example:2222', ['localhost:*', '*:443'], HOST)).toBe(false);
    expect(originAllowed('https://ssh.example.com', ['localhost:*'], HOST)).toBe(true);
  });

  it('lets clients without an Origin header through (no page to forge it)', () => {
    expect(originAllowed(undefined, [], HOST)).toBe(true);
  });
});

describe('cross-site requests', () => {
  it('refuses requests another site started, unless from a listed origin', () => {
    const own = { host: HOST };
    expect(crossSiteRefusal({ ...own, 'sec-fetch-site': 'same-origin' }, [])).toBeUndefined();
    expect(crossSiteRefusal({ ...own, 'sec-fetch-site': 'none' }, [])).toBeUndefined();
    expect(crossSiteRefusal(own, [])).toBeUndefined(); // no browser said otherwise
    expect(crossSiteRefusal({ ...own, 'sec-fetch-site': 'cross-site' }, [])).toBe('Cross-site request refused');
    expect(crossSiteRefusal({ ...own, 'sec-fetch-site': 'same-site' }, [])).toBe('Cross-site request refused');
    expect(crossSiteRefusal({ ...own, origin: 'https://evil.example' }, [])).toBe('Origin not allowed');
    expect(crossSiteRefusal({ ...own, origin: 'https://portal.example.com', 'sec-fetch-site': 'cross-site' }, ['portal.example.com:443'])).toBeUndefined();
    // A link (no Origin) from even a listed site is not vouched for.
    expect(crossSiteRefusal({ ...own, 'sec-fetch-site': 'cross-site' }, ['*:*'])).toBe('Cross-site request refused');
  });
});
