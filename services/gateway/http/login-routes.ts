/**
 * WebSSH2's HTTP routes: the page, and the login routes that take
 * credentials over HTTP (Basic auth, a POSTed form or JSON, SSO proxy
 * headers). Credentials never go back to the browser: they are handed off
 * sealed and server-side, the browser gets an opaque id in an HttpOnly
 * cookie, and whichever gateway the page's socket lands on takes them once.
 */
import { stringifySetCookie } from 'cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../../shared/config/schema.js';
import { SubnetAllowList } from '../../../shared/config/cidr.js';
import { hostLockRefusal, lockedHostOf } from '../../../shared/config/host-lock.js';
import type { CredentialHandoff } from '../../../shared/credential-handoff/credential-handoff.js';
import type { Logger } from '../../../shared/log/logger.js';
import { SOCKET_IO_PATH } from '../../../shared/protocol/events.js';
import { authenticatePayload, loginForm, loginQuery, type AuthenticatePayload } from '../../../shared/protocol/inbound.js';
import type { PageConfig } from '../../../shared/protocol/page-config.js';
import type { AbuseLimits } from '../abuse-limits.js';
import { crossSiteRefusal } from '../origin-policy.js';
import { parseInbound } from '../validation.js';
import { BASIC_REALM, parseBasicAuth } from './basic-auth.js';
import { renderPage, type ClientPage } from './client-page.js';
import { expiredHandoffCookie, handoffCookie, handoffIdOf } from './handoff-cookie.js';

export interface LoginRoutesOptions {
  settings: Pick<Config, 'ssh' | 'http' | 'header' | 'sso'>;
  handoff: CredentialHandoff;
  /** Hand-offs per client address (abuse-limits.ts). */
  limits: Pick<AbuseLimits, 'admitHandoff'>;
  page: ClientPage;
  log: Logger;
}

/** What GET /ssh/config tells a client about the logins it may offer. */
const ALLOWED_AUTH_METHODS = ['password', 'keyboard-interactive', 'publickey'] as const;

/**
 * WebSSH2's stock client reads this (not HttpOnly) cookie to tell a
 * Basic-auth page from a login form: it holds the target, nothing secret.
 */
const BASIC_AUTH_MARKER_COOKIE = 'basicauth';

interface HostParams {
  host?: string;
}

export async function loginRoutes(app: FastifyInstance, options: LoginRoutesOptions): Promise<void> {
  const { settings, handoff, page, log } = options;
  const ssoProxies = new SubnetAllowList(settings.sso.trustedProxies);
  const defaultHeader = { ...(settings.header.text && { text: settings.header.text }), ...(settings.header.background && { background: settings.header.background }) };

  const sendPage = (reply: FastifyReply, config: Omit<PageConfig, 'socket'>) =>
    reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(renderPage(page, { socket: { url: null, path: SOCKET_IO_PATH }, ...config }));

  const fail = (reply: FastifyReply, status: number, error: string) => reply.code(status).header('cache-control', 'no-store').send({ error });

  /**
   * Seals the credentials for the page's socket and sets the cookie that
   * names them; or says why not (too many from this address, or too many
   * pending in the cluster), and then the route answers that instead.
   */
  const handOff = async (request: FastifyRequest, reply: FastifyReply, credentials: AuthenticatePayload, hostLocked: boolean, how: string) => {
    // Undefined when the peer has already hung up: counted under no address.
    const client = (request.ip as string | undefined) ?? '';
    const refusal = await options.limits.admitHandoff(client);
    if (refusal) {
      log.warn({ event: 'login-handoff-refused', how, client }, refusal);
      return { status: 429, error: refusal };
    }
    const id = await handoff.deposit({ credentials, hostLocked });
    if (id === undefined) {
      log.warn({ event: 'login-handoff-refused', how, client }, 'too many hand-offs pending');
      return { status: 503, error: 'Too many logins are waiting to be picked up; try again shortly' };
    }
    log.info({ event: 'login-handoff', how, user: credentials.username, target: `${credentials.host}:${credentials.port}` }, 'credentials handed off to the page');
    reply.header('set-cookie', handoffCookie(id, { maxAgeMs: settings.http.handoffTtlMs, secure: request.protocol === 'https' }));
    return undefined;
  };

  /** With FLEET_SSH_HOST_LOCK the page offers only the locked host; the worker enforces it either way. */
  const lockedHost = lockedHostOf(settings.ssh);
  const hostLock = lockedHost ? { connectionMode: 'host-locked' as const, lockedHost, lockedPort: settings.ssh.port } : {};

  app.get('/ssh', (_request, reply) => sendPage(reply, { autoConnect: false, ...hostLock, ...headerOf(defaultHeader) }));
  app.get('/ssh/', (_request, reply) => sendPage(reply, { autoConnect: false, ...hostLock, ...headerOf(defaultHeader) }));

  app.get<{ Params: HostParams }>('/ssh/host/:host', async (request, reply) => {
    // A link from another site would log in with the browser's cached Basic
    // credentials: the user confirms with a click on our own page instead.
    if (crossSiteRefusal(request.headers, settings.http.origins)) {
      log.warn({ event: 'login-link-refused', site: request.headers['sec-fetch-site'], origin: request.headers.origin }, 'login link from another site: asking the user to confirm');
      return reply.code(403).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(confirmPage(request.url));
    }
    const basic = parseBasicAuth(request.headers.authorization);
    if (!basic) {
      return reply.code(401).header('www-authenticate', `Basic realm="${BASIC_REALM}"`).type('text/plain; charset=utf-8').send('Authentication required.');
    }
    const query = parseInbound(loginQuery, request.query);
    if (!query.ok) return fail(reply, 400, `Invalid query: ${query.problem}`);
    const port = query.value.port ?? settings.ssh.port;
    const credentials = parseInbound(authenticatePayload, {
      username: basic.username,
      password: basic.password,
      host: request.params.host,
      port,
      ...(query.value.sshterm && { term: query.value.sshterm }),
    });
    if (!credentials.ok) return fail(reply, 400, `Invalid credentials: ${credentials.problem}`);
    const { host } = credentials.value;
    const outsideLock = hostLockRefusal(settings.ssh, host, port);
    if (outsideLock) return fail(reply, 403, outsideLock);
    const notHandedOff = await handOff(request, reply, credentials.value, true, 'basic');
    if (notHandedOff) return fail(reply, notHandedOff.status, notHandedOff.error);
    reply.header('set-cookie', markerCookie(host, port));
    return sendPage(reply, {
      autoConnect: true,
      connectionMode: 'host-locked',
      lockedHost: host,
      lockedPort: port,
      ssh: { host, port, ...(query.value.sshterm && { sshterm: query.value.sshterm }) },
      ...headerOf({ ...defaultHeader, ...headerFromQuery(query.value) }),
    });
  });

  const postLogin = async (request: FastifyRequest<{ Params: HostParams; Querystring: unknown; Body: unknown }>, reply: FastifyReply) => {
    const crossSite = crossSiteRefusal(request.headers, settings.http.origins);
    if (crossSite) {
      log.warn({ origin: request.headers.origin, site: request.headers['sec-fetch-site'] }, `login form refused: ${crossSite}`);
      return fail(reply, 403, crossSite);
    }
    const form = parseInbound(loginForm, request.body ?? {});
    if (!form.ok) return fail(reply, 400, `Invalid form: ${form.problem}`);
    const query = parseInbound(loginQuery.extend({ host: loginForm.shape.host }), request.query);
    if (!query.ok) return fail(reply, 400, `Invalid query: ${query.problem}`);
    const sso = ssoCredentials(request);
    const username = sso?.username ?? form.value.username;
    const password = sso?.password ?? form.value.password;
    if (!username || (!password && !form.value.privateKey)) return fail(reply, 400, 'Missing required fields: username and password');
    const host = request.params.host ?? form.value.host ?? query.value.host ?? settings.ssh.host;
    if (!host) return fail(reply, 400, 'Missing required field: host');
    const port = form.value.port ?? query.value.port ?? settings.ssh.port;
    const outsideLock = hostLockRefusal(settings.ssh, host, port);
    if (outsideLock) return fail(reply, 403, outsideLock);
    const term = form.value.sshterm ?? query.value.sshterm;
    const credentials = parseInbound(authenticatePayload, {
      username,
      host,
      port,
      ...(password !== undefined && { password }),
      ...(form.value.privateKey && { privateKey: form.value.privateKey }),
      ...(form.value.passphrase && { passphrase: form.value.passphrase }),
      ...(term && { term }),
    });
    if (!credentials.ok) return fail(reply, 400, `Invalid credentials: ${credentials.problem}`);
    const hostLocked = request.params.host !== undefined;
    const notHandedOff = await handOff(request, reply, credentials.value, hostLocked, sso ? 'sso' : 'form');
    if (notHandedOff) return fail(reply, notHandedOff.status, notHandedOff.error);
    return sendPage(reply, {
      autoConnect: true,
      ...(hostLocked && { connectionMode: 'host-locked' as const, lockedHost: credentials.value.host, lockedPort: port }),
      ssh: { host: credentials.value.host, port, ...(term && { sshterm: term }) },
      ...headerOf({
        ...defaultHeader,
        ...(form.value['header.name'] && { text: form.value['header.name'] }),
        ...(form.value['header.background'] && { background: form.value['header.background'] }),
        ...headerFromQuery(query.value),
      }),
    });
  };
  app.post('/ssh', postLogin);
  app.post('/ssh/', postLogin);
  app.post('/ssh/host/:host', postLogin);

  /** Forgets credentials an HTTP route left (if the page never used them) and starts over. */
  app.get('/ssh/reauth', async (request, reply) => {
    const secure = request.protocol === 'https';
    const id = handoffIdOf(request.headers.cookie, secure);
    if (id) await handoff.take(id).catch(() => undefined);
    return reply
      .header('set-cookie', [expiredHandoffCookie(secure), expiredMarkerCookie()])
      .header('cache-control', 'no-store')
      .redirect('/ssh', 302);
  });

  app.get('/ssh/config', (_request, reply) =>
    reply.header('cache-control', 'no-store').send({
      allowedAuthMethods: ALLOWED_AUTH_METHODS,
      // WebSSH2's shape. Trusted keys live only in the cluster's store: the
      // client is asked about unknown keys but keeps none of its own.
      hostKeyVerification: {
        enabled: settings.ssh.hostKeyVerification.enabled,
        clientStoreEnabled: false,
        unknownKeyAction: settings.ssh.hostKeyVerification.unknownKeyAction,
      },
    }),
  );

  /**
   * Credentials from an SSO proxy's headers, believed only from a trusted
   * proxy (any peer when none is configured, as in WebSSH2).
   */
  function ssoCredentials(request: FastifyRequest): { username: string; password?: string } | undefined {
    if (!settings.sso.enabled) return undefined;
    const { headerMapping } = settings.sso;
    const username = singleHeader(request.headers[headerMapping.username]);
    if (!username) return undefined;
    const peer = request.socket.remoteAddress ?? '';
    if (!ssoProxies.allows(peer)) {
      log.warn({ peer }, 'SSO headers from an untrusted peer ignored');
      return undefined;
    }
    const password = singleHeader(request.headers[headerMapping.password]);
    return { username, ...(password !== undefined && { password }) };
  }
}

/** A page on our own origin with a link back to the login link, so following it is a same-origin request. */
function confirmPage(url: string): string {
  const href = url.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><meta charset="utf-8"><title>Confirm login</title>
<p>You followed a login link from another site. Continue only if you meant to open this session.</p>
<p><a href="${href}">Continue to the login</a></p>
`;
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function headerFromQuery(query: { header?: string | undefined; headerBackground?: string | undefined }): PageConfig['header'] {
  return { ...(query.header && { text: query.header }), ...(query.headerBackground && { background: query.headerBackground }) };
}

function headerOf(header: NonNullable<PageConfig['header']>): Pick<PageConfig, 'header'> {
  return header.text || header.background ? { header } : {};
}

function markerCookie(host: string, port: number): string {
  return stringifySetCookie({ name: BASIC_AUTH_MARKER_COOKIE, value: JSON.stringify({ host, port }), path: '/ssh/host/', sameSite: 'strict' });
}

function expiredMarkerCookie(): string {
  return stringifySetCookie({ name: BASIC_AUTH_MARKER_COOKIE, value: '', path: '/ssh/host/', sameSite: 'strict', maxAge: 0 });
}
