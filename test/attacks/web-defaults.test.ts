/**
 * Issue 10, item 7: web defaults that are safe, tried against a running
 * gateway configured with nothing but its port. Another site's page cannot
 * open a terminal socket, post a login, or follow a Basic-auth login link
 * into a session; over HTTPS the hand-off cookie is `__Host-` (no sibling
 * subdomain can set it); `/metrics` is not on the public port (and asks for
 * a token when one is set); source maps are not served; and text from the
 * request never acts as a replacement pattern in the page. A neighbour
 * keeps echoing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoProbe } from '../harness/echo-probe.js';
import { startFleet, type Fleet } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

const TOKEN = 'a-metrics-token-of-some-length';
let sshd: SshdHandle;
let fleet: Fleet;
let base: string;
let neighbour: EchoProbe;
const clients: ProtocolClient[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  // No WEBSSH2_HTTP_ORIGINS: the defaults are under test. The balancer (loopback) is trusted for X-Forwarded-Proto.
  fleet = await startFleet('all-in-one', { env: { FLEET_TRUSTED_PROXIES: '127.0.0.1/32', FLEET_METRICS_TOKEN: TOKEN } });
  base = fleet.urls[0]!;
  const healthy = await ProtocolClient.connect(base, { extraHeaders: { origin: base } });
  clients.push(healthy);
  await healthy.openShell({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });
  await healthy.waitForOutput(/\$ $/m);
  neighbour = new EchoProbe(healthy, { boundMs: 1000 });
});
afterAll(async () => {
  for (const client of clients) client.close();
  await fleet?.stop();
  await sshd?.stop();
});

const basic = () => `Basic ${Buffer.from(`${sshd.user}:${sshd.password}`).toString('base64')}`;
const cookiesOf = (response: Response) => response.headers.getSetCookie();

describe('web defaults', () => {
  it("admits sockets from the gateway's own origin only", async () => {
    const own = await ProtocolClient.connect(base, { extraHeaders: { origin: base } });
    clients.push(own);
    expect(own.socket.connected).toBe(true);
    for (const origin of ['https://evil.example', `${base}.evil.example`, base.replace('127.0.0.1', 'localhost'), 'null']) {
      await expect(ProtocolClient.connect(base, { extraHeaders: { origin } }), origin).rejects.toThrow();
    }
  });

  it('refuses login posts and login links started by another site', async () => {
    const form = new URLSearchParams({ username: sshd.user, password: sshd.password, host: sshd.host, port: String(sshd.port) });
    const foreign = await fetch(`${base}/ssh`, { method: 'POST', body: form, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } });
    expect(foreign.status).toBe(403);
    expect(cookiesOf(foreign)).toEqual([]);
    // A cross-site form without Origin (an old browser) is still caught by Sec-Fetch-Site.
    expect((await fetch(`${base}/ssh`, { method: 'POST', body: form, headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    expect((await fetch(`${base}/ssh`, { method: 'POST', body: form, headers: { origin: base, 'sec-fetch-site': 'same-origin' } })).status).toBe(200);

    // A link from another site: the browser sends its cached Basic credentials; no session may come of it.
    const link = `${base}/ssh/host/${sshd.host}?port=${sshd.port}`;
    const crossSite = await fetch(link, { headers: { authorization: basic(), 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    expect(cookiesOf(crossSite)).toEqual([]);
    const confirm = await crossSite.text();
    expect(confirm).toContain(`href="/ssh/host/${sshd.host}?port=${sshd.port}"`);
    // Followed from that page (our own origin), or typed by hand, it logs in.
    for (const site of ['same-origin', 'none']) {
      const followed = await fetch(link, { headers: { authorization: basic(), 'sec-fetch-site': site } });
      expect(followed.status, site).toBe(200);
      expect(cookiesOf(followed).some((cookie) => cookie.startsWith('wsf_handoff='))).toBe(true);
    }
    expect(await neighbour.once()).toBeLessThan(1000);
  });

  it('sets the hand-off cookie as __Host- over HTTPS, and only that one opens a login there', async () => {
    const https = await fetch(`${base}/ssh/host/${sshd.host}?port=${sshd.port}`, { headers: { authorization: basic(), 'x-forwarded-proto': 'https' } });
    expect(https.status).toBe(200);
    const cookie = cookiesOf(https).find((value) => value.startsWith('__Host-wsf_handoff='))!;
    expect(cookie).toMatch(/; Path=\/(;|$)/);
    expect(cookie).toMatch(/; Secure(;|$)/);
    expect(cookie).not.toMatch(/Domain=/i);
    const id = /^__Host-wsf_handoff=([^;]+)/.exec(cookie)![1]!;

    // A cookie without the prefix (which a sibling subdomain could have set) is not taken over HTTPS.
    const tossed = await ProtocolClient.connect(base, { extraHeaders: { cookie: `wsf_handoff=${id}`, 'x-forwarded-proto': 'https' } });
    clients.push(tossed);
    await tossed.waitForEvent('authentication', (message) => (message as { action: string }).action === 'request_auth');
    const genuine = await ProtocolClient.connect(base, { extraHeaders: { cookie: `__Host-wsf_handoff=${id}`, 'x-forwarded-proto': 'https' } });
    clients.push(genuine);
    await genuine.waitForEvent('authentication', (message) => (message as { action: string; success?: boolean }).action === 'auth_result');
    expect(genuine.eventsNamed('authentication')).toContainEqual({ action: 'auth_result', success: true });
  });

  it('keeps /metrics off the public port, behind its token, and serves no source maps', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    const metrics = fleet.metricsUrls[0]!;
    expect((await fetch(`${metrics}/metrics`)).status).toBe(401);
    expect((await fetch(`${metrics}/metrics`, { headers: { authorization: 'Bearer wrong-token-of-some-length' } })).status).toBe(401);
    const scraped = await fetch(`${metrics}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('webssh_fleet_gateway_sockets');

    const page = await (await fetch(`${base}/ssh`)).text();
    const script = /src="(\/ssh\/assets\/[^"]+\.js)"/.exec(page)![1]!;
    expect((await fetch(`${base}${script}`)).status).toBe(200);
    expect((await fetch(`${base}${script}.map`)).status).toBe(404);
  });

  it('renders request text in the page literally, never as a replacement pattern', async () => {
    const header = "$' $& $` $$ $1";
    const response = await fetch(`${base}/ssh/host/${sshd.host}?port=${sshd.port}&header=${encodeURIComponent(header)}`, { headers: { authorization: basic() } });
    const html = await response.text();
    const config = JSON.parse(/id="webssh2-config">(.*?)<\/script>/s.exec(html)![1]!) as { header?: { text?: string } };
    expect(config.header?.text).toBe(header);
    expect(html.match(/<html/gi)).toHaveLength(1);
  });
});
