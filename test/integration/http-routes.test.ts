/**
 * WebSSH2's HTTP routes on a cluster of two gateways: the page and its
 * headers, the Basic-auth, form, JSON and SSO login routes, and the
 * credential hand-off that lets the page's socket log in on the other
 * gateway (no sticky sessions), exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageConfig } from '../../shared/protocol/page-config.js';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

let sshd: SshdHandle;
let fleet: Fleet;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  fleet = await startFleet('cluster', {
    gateways: 2,
    workers: 1,
    env: {
      WEBSSH2_HTTP_ORIGINS: '127.0.0.1:*',
      WEBSSH2_SSO_ENABLED: 'true',
      WEBSSH2_SSO_TRUSTED_PROXIES: '127.0.0.1/32',
      WEBSSH2_HEADER_TEXT: 'Staging',
      WEBSSH2_SSH_ALLOWED_SUBNETS: '127.0.0.1/32',
      // The test plays the load balancer that terminates TLS.
      FLEET_TRUSTED_PROXIES: '127.0.0.1/32',
    },
  });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await fleet?.stop();
  await sshd?.stop();
});

const [first, second] = [() => fleet.urls[0]!, () => fleet.urls[1]!];
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function pageConfigOf(html: string): PageConfig {
  const match = /<script type="application\/json" id="webssh2-config">(.*?)<\/script>/s.exec(html);
  if (!match) throw new Error('no config block in the page');
  return JSON.parse(match[1]!) as PageConfig;
}

function handoffCookieOf(response: Response): string {
  const cookie = response.headers.getSetCookie().find((line) => /^(__Host-)?wsf_handoff=/.test(line));
  if (!cookie) throw new Error(`no hand-off cookie in ${JSON.stringify(response.headers.getSetCookie())}`);
  return cookie;
}

/** A socket to `url` carrying the cookie the way the browser would. */
async function socketWithCookie(url: string, setCookie: string): Promise<ProtocolClient> {
  const client = await ProtocolClient.connect(url, { extraHeaders: { cookie: setCookie.split(';')[0]! } });
  clients.push(client);
  return client;
}

/** The socket logs in by itself: auth_result with no authenticate sent, then a shell. */
async function expectAutoLogin(client: ProtocolClient): Promise<void> {
  const result = await client.waitForEvent('authentication', (m) => (m as { action: string }).action === 'auth_result');
  expect(result).toEqual({ action: 'auth_result', success: true });
  expect(client.eventsNamed('authentication')).not.toContainEqual({ action: 'request_auth' });
  await client.waitForEvent('getTerminal');
  client.socket.emit('terminal', { cols: 100, rows: 30 });
  await client.waitForOutput(/\$ $/m);
  client.type('echo handed-$((20+3))\n');
  await client.waitForOutput('handed-23');
}

describe('the page', () => {
  it('is served at /ssh and /ssh/ with a strict CSP, no caching, and a config that holds no credential', async () => {
    for (const path of ['/ssh', '/ssh/']) {
      const response = await fetch(`${first()}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const config = pageConfigOf(await response.text());
      expect(config).toEqual({ socket: { url: null, path: '/ssh/socket.io' }, autoConnect: false, header: { text: 'Staging' } });
    }
  });

  it('serves its hashed assets for a year, immutable', async () => {
    const html = await (await fetch(`${first()}/ssh`)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/ssh\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((path) => path.endsWith('.js'))).toBe(true);
    expect(assets.some((path) => path.endsWith('.css'))).toBe(true);
    for (const path of assets) {
      const response = await fetch(`${second()}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('cache-control'), path).toBe('public, max-age=31536000, immutable');
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
    expect((await fetch(`${first()}/ssh/assets/../../package.json`)).status).toBe(404);
    expect((await fetch(`${first()}/ssh/assets/nothing-here.js`)).status).toBe(404);
  });

  it('tells clients which logins they may offer at /ssh/config', async () => {
    const response = await fetch(`${first()}/ssh/config`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      allowedAuthMethods: ['password', 'keyboard-interactive', 'publickey'],
      hostKeyVerification: { enabled: true, clientStoreEnabled: false, unknownKeyAction: 'alert' },
    });
  });
});

describe('GET /ssh/host/:host (HTTP Basic)', () => {
  it('asks for Basic credentials', async () => {
    const response = await fetch(`${first()}/ssh/host/${sshd.host}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="WebSSH2"');
  });

  it('hands the credentials to a socket on the other gateway, once, and never to the page', async () => {
    const response = await fetch(`${first()}/ssh/host/${sshd.host}?port=${sshd.port}&header=Prod`, {
      headers: { authorization: basic(sshd.user, sshd.password) },
    });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).not.toContain(sshd.password);
    expect(pageConfigOf(html)).toEqual({
      socket: { url: null, path: '/ssh/socket.io' },
      autoConnect: true,
      connectionMode: 'host-locked',
      lockedHost: sshd.host,
      lockedPort: sshd.port,
      ssh: { host: sshd.host, port: sshd.port },
      header: { text: 'Prod' },
    });
    const cookie = handoffCookieOf(response);
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Strict/i);
    expect(cookie).toMatch(/; Path=\/ssh(;|$)/);
    expect(cookie).toMatch(/; Max-Age=60(;|$)/);

    await expectAutoLogin(await socketWithCookie(second(), cookie));
    const replayed = await socketWithCookie(first(), cookie);
    expect(await replayed.waitForEvent('authentication')).toEqual({ action: 'request_auth' });
  });

  it('marks the cookie Secure and __Host- behind a TLS-terminating proxy', async () => {
    const login = (headers: Record<string, string>) =>
      fetch(`${first()}/ssh/host/${sshd.host}?port=${sshd.port}`, { headers: { authorization: basic(sshd.user, sshd.password), ...headers } });
    const secure = handoffCookieOf(await login({ 'x-forwarded-proto': 'https' }));
    expect(secure).toMatch(/^__Host-wsf_handoff=.*; Path=\/;.*; Secure(;|$)/);
    expect(handoffCookieOf(await login({}))).not.toMatch(/; Secure/);
  });

  it('refuses a bad port with a clear error', async () => {
    const response = await fetch(`${first()}/ssh/host/${sshd.host}?port=99999`, { headers: { authorization: basic('a', 'b') } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/^Invalid query: port/);
  });

  it('reports a wrong password on the socket, and holds a retry to the host the route named', async () => {
    const response = await fetch(`${first()}/ssh/host/${sshd.host}?port=${sshd.port}`, { headers: { authorization: basic(sshd.user, 'not-the-password') } });
    const client = await socketWithCookie(second(), handoffCookieOf(response));
    const result = (await client.waitForEvent('authentication', (m) => (m as { action: string }).action === 'auth_result', 30_000)) as { success: boolean; message: string };
    expect(result.success).toBe(false);
    expect(result.message).toMatch(/auth/i);

    // The socket came from /ssh/host/:host: retyped credentials may go to that host only.
    const isResult = (m: unknown) => (m as { action: string }).action === 'auth_result';
    let from = client.events.length;
    client.socket.emit('authenticate', { username: sshd.user, password: sshd.password, host: 'localhost', port: sshd.port });
    expect(await client.waitForEvent('authentication', isResult, 10_000, from)).toEqual({
      action: 'auth_result',
      success: false,
      message: `This session is locked to ${sshd.host}:${sshd.port}`,
    });
    from = client.events.length;
    client.socket.emit('authenticate', { username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });
    expect(await client.waitForEvent('authentication', isResult, 20_000, from)).toEqual({ action: 'auth_result', success: true });
  });
});

describe('POST /ssh and /ssh/host/:host', () => {
  it('takes a form', async () => {
    const response = await fetch(`${first()}/ssh`, {
      method: 'POST',
      headers: { origin: first() },
      body: new URLSearchParams({ username: sshd.user, password: sshd.password, host: sshd.host, port: String(sshd.port), 'header.name': 'Form' }),
    });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).not.toContain(sshd.password);
    expect(pageConfigOf(html)).toMatchObject({ autoConnect: true, ssh: { host: sshd.host, port: sshd.port }, header: { text: 'Form' } });
    await expectAutoLogin(await socketWithCookie(second(), handoffCookieOf(response)));
  });

  it('takes JSON with a private key, the host from the path', async () => {
    const response = await fetch(`${second()}/ssh/host/${sshd.host}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: sshd.user, privateKey: sshd.encryptedPrivateKey, passphrase: sshd.passphrase, port: sshd.port }),
    });
    expect(response.status).toBe(200);
    await expectAutoLogin(await socketWithCookie(first(), handoffCookieOf(response)));
  });

  it('takes credentials from SSO headers set by a trusted proxy', async () => {
    const response = await fetch(`${first()}/ssh/host/${sshd.host}?port=${sshd.port}`, {
      method: 'POST',
      headers: { 'x-apm-username': sshd.user, 'x-apm-password': sshd.password },
    });
    expect(response.status).toBe(200);
    await expectAutoLogin(await socketWithCookie(second(), handoffCookieOf(response)));
  });

  it('says what is missing or malformed', async () => {
    const post = (body: string, contentType: string) => fetch(`${first()}/ssh`, { method: 'POST', headers: { 'content-type': contentType }, body });
    const cases: Array<[Response, RegExp]> = [
      [await post(new URLSearchParams({ host: sshd.host }).toString(), 'application/x-www-form-urlencoded'), /^Missing required fields: username and password$/],
      [await post(new URLSearchParams({ username: 'u', password: 'p' }).toString(), 'application/x-www-form-urlencoded'), /^Missing required field: host$/],
      [await post(JSON.stringify({ username: 'u', password: 'p', host: 'h', port: 'ssh' }), 'application/json'), /^Invalid form: port/],
      [await post(JSON.stringify({ username: ['u'], password: 'p' }), 'application/json'), /^Invalid form: username/],
      [await post('{"username":', 'application/json'), /JSON/i],
      [await post('{"__proto__":{"admin":true},"username":"u"}', 'application/json'), /./],
    ];
    for (const [response, message] of cases) {
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(message);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    expect((await fetch(`${first()}/healthz`)).status).toBe(200);
  });

  it('refuses a form posted from a foreign origin', async () => {
    const response = await fetch(`${first()}/ssh`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
      body: new URLSearchParams({ username: sshd.user, password: sshd.password, host: sshd.host }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie()).toEqual([]);
  });
});

describe('GET /ssh/reauth', () => {
  it('forgets credentials the page never used and sends the browser back to /ssh', async () => {
    const login = await fetch(`${first()}/ssh/host/${sshd.host}?port=${sshd.port}`, { headers: { authorization: basic(sshd.user, sshd.password) } });
    const cookie = handoffCookieOf(login);
    const response = await fetch(`${second()}/ssh/reauth`, { headers: { cookie: cookie.split(';')[0]! }, redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/ssh');
    expect(response.headers.getSetCookie().some((line) => /^wsf_handoff=;.*Max-Age=0/.test(line))).toBe(true);
    const client = await socketWithCookie(first(), cookie);
    expect(await client.waitForEvent('authentication')).toEqual({ action: 'request_auth' });
  });
});

describe('the Socket.IO handshake', () => {
  it('refuses a socket opened by a page on a foreign origin, and takes one from an allowed origin', async () => {
    await expect(ProtocolClient.connect(first(), { extraHeaders: { origin: 'https://evil.example' } })).rejects.toThrow();
    await expect(ProtocolClient.connect(first(), { extraHeaders: { origin: 'http://127.0.0.1.evil.example:80' } })).rejects.toThrow();
    const allowed = await ProtocolClient.connect(first(), { extraHeaders: { origin: first() } });
    clients.push(allowed);
    expect(await allowed.waitForEvent('authentication')).toEqual({ action: 'request_auth' });
  });
});
