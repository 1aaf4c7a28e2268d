/**
 * Hostile HTTP requests for property-based fuzzing (fast-check) of a
 * gateway's routes, and a sender that puts them on the wire as generated.
 *
 * Requests come in three families: Basic-auth logins (GET/HEAD
 * /ssh/host/:host), form and JSON logins (POST /ssh, /ssh/host/:host), and
 * anything on any route or look-alike. Paths carry encoded, traversing,
 * overlong and unicode segments and `%00`; queries wrong types, huge values
 * and repeated keys; headers broken Basic credentials, SSO headers, foreign
 * origins and every content type; bodies wrong types, missing fields, huge
 * strings, deep nesting, `__proto__` / `constructor` / `prototype` keys,
 * arrays for objects, invalid JSON and binary. Each request carries one
 * password, in the places a password goes, so a test can check that no
 * answer echoes it.
 */
import { Agent, request as httpRequest } from 'node:http';
import fc from 'fast-check';

export interface HostileRequest {
  method: string;
  /** Path and query, exactly as generated. */
  target: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** The password this request carries (Basic, form, JSON, SSO header): no answer may contain it. */
  password: string;
}

export interface HostileAnswer {
  status: number;
  /** Every response header as `name: value` lines, Set-Cookie included. */
  headerText: string;
  body: string;
  /** `raw` when fetch could not send the request as generated (dot segments, a body on GET). */
  via: 'fetch' | 'raw';
}

export interface FuzzTarget {
  /** The gateway's base URL, which is also its own Origin. */
  baseUrl: string;
  sshHost: string;
  sshPort: number;
  /** File names of the page's real assets under /ssh/assets/. */
  assets: string[];
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const;

// Never `/ssh/socket.io` without its slash: no answer comes (a known bug, see hostile-input.test.ts).
const ROUTES = ['/ssh', '/ssh/', '/ssh/reauth', '/ssh/config', '/healthz', '/readyz', '/metrics', '/', '/ssh/host/', '/ssh/assets/', '/ssh/socket.io/'];
const LOOKALIKES = [
  '/SSH', '//ssh', '/ssh//', '/ssh;a=1', '/ssh%2F', '/ssh/reauth/', '/ssh/config/', '/ssh/config.json', '/ssh/./config', '/ssh/../ssh',
  '/ssh/%2e%2e/ssh', '/%73sh', '/ssh/host', '/ssh/host//', '/ssh/host/a/b', '/healthz/', '/metrics/../ssh/config', '/ssh/socket.io/socket.io.js',
  '/ssh\\config', '/ssh/%00', '/ssh/reauth%00', '/ssh#fragment',
];

/** Host segments: the real target, traversal and encoding tricks, unicode, around and far over the 100-char parameter limit. */
function hostSegment(target: FuzzTarget): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constant(target.sshHost), weight: 4 },
    fc.constantFrom(
      'localhost', '..', '.', '%2e%2e', '%2E%2E%2F%2E%2E%2Fpackage.json', '..%2F..%2Fpackage.json', '%252e%252e%252f', '%00', 'a%00b', '%',
      '%ZZ', '%E0%A4%A', '%C0%AE%C0%AE', '%ED%A0%80', 'x%0d%0aSet-Cookie:%20a=b', '%3Cscript%3Ealert(1)%3C%2Fscript%3E', '%22%3E%3C', '127.0.0.1:22', '[::1]',
      '\\..\\..', '..;', '%2F%2F', 'h%20o%20s%20t',
    ),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).map(encodeURIComponent),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), // fetch percent-encodes it, as a browser would
    fc.integer({ min: 95, max: 105 }).map((n) => 'h'.repeat(n)),
    fc.constant('s'.repeat(5000)),
  );
}

function assetSegment(target: FuzzTarget): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...target.assets),
    fc.constantFrom(
      '../../package.json', '../index.html', '..%2F..%2Fpackage.json', '%2e%2e/%2e%2e/package.json', '%252e%252e%252fpackage.json', 'index.html',
      'nothing-here.js', '%00', 'a%00.js', '.', '..', '%2e', 'assets', '....//....//package.json', '%5C..%5C..%5Cpackage.json',
    ),
    fc.constant('f'.repeat(5000)),
  );
}

const QUERY_KEYS = ['port', 'sshterm', 'header', 'headerBackground', 'host', 'username', 'password', '__proto__', 'constructor', 'prototype', '__proto__[polluted]', 'constructor[prototype][polluted]', 'port[]', ''];

const queryValue = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      '22', '0', '-1', '65536', '99999', '1e3', '0x16', '22.5', ' 22', 'NaN', 'true', 'null', '[]', '{}', 'xterm-256color', '#ff0000', 'red;background:url(x)',
      '</script><script>alert(1)</script>', '\u2028', 'x'.repeat(101),
      'q'.repeat(5_000), // under Node's 16 KiB header limit, over every field's
      'q'.repeat(20_000), // over it: Node answers 431
    ),
    weight: 3,
  },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 30 }), weight: 2 },
  fc.integer().map(String),
);

function query(target: FuzzTarget): fc.Arbitrary<string> {
  const pairs = fc
    .array(fc.tuple(fc.constantFrom(...QUERY_KEYS), queryValue), { maxLength: 5 })
    .map((list) => (list.length === 0 ? '' : `?${list.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&')}`));
  return fc.oneof(
    { arbitrary: fc.constant(`?port=${target.sshPort}`), weight: 3 },
    { arbitrary: fc.constant(''), weight: 2 },
    { arbitrary: pairs, weight: 4 },
    fc.constantFrom(`?port=${target.sshPort}&port=${target.sshPort}`, '?port', '?&&&=&', '?port=%ZZ', '?port=%00', '?header=%E0%A4%A', '?a=1;b=2', '??port=22', '?port=22#x'),
  );
}

/** Header values must be bytes (Latin-1) without CR, LF or NUL. */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength });

const basic = (userAndPassword: string | Uint8Array) => `Basic ${Buffer.from(userAndPassword).toString('base64')}`;

const username = fc.oneof(
  { arbitrary: fc.constant('fleettest'), weight: 3 },
  fc.constantFrom('root', 'a', '../../etc', 'u\u0000', '$(id)', 'u'.repeat(300)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
);

function authorization(password: string): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { arbitrary: username.filter((user) => !user.includes(':')).map((user) => basic(`${user}:${password}`)), weight: 6 },
    { arbitrary: fc.constant(undefined), weight: 2 },
    fc.constantFrom(
      'Basic', 'Basic ', 'Basic !!!!', 'Basic ====', basic(':'), basic(`:${password}`), 'Bearer abc', 'Digest username="u"', 'basic Zm9vOmJhcg', ` Basic ${basic('a:b').slice(6)} `,
      `bAsIc ${basic(`fleettest:${password}`).slice(6)}`,
      basic(`fleettest:${password}${'p'.repeat(9000)}`), // a password over its limit
      `Basic ${'QUFB'.repeat(5000)}`, // 20 KB: over Node's header limit
    ),
    fc.string({ unit: 'binary', maxLength: 30 }).filter((text) => !text.includes(':')).map(basic), // no colon
    fc.uint8Array({ maxLength: 64 }).map(basic), // garbage bytes
    headerText(40).map((text) => `Basic ${text}`), // not base64 at all
  );
}

const origin = (target: FuzzTarget) =>
  fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 3 },
    { arbitrary: fc.constant(target.baseUrl), weight: 2 },
    fc.constantFrom('https://evil.example', 'null', 'garbage', 'http://127.0.0.1.evil.example', 'http://[::1]:80', 'file://', `${target.baseUrl}/path`, 'h'.repeat(10_000)),
    headerText(30),
  );

const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=latin1',
  'text/plain', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/json; charset=utf-16', 'application/vnd.api+json',
  'application/x-www-form-urlencoded, application/json', ';;;', 'text/html', 'application/json; boundary="',
];

/** Values for a JSON body's fields: every JSON type, huge strings, arrays, nested objects with prototype-polluting keys. */
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, -1, 1e308, -0, '', '22', 'fleettest', '__proto__'),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constant('k'.repeat(70_000)),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'username', 'password', 'polluted', 'toString'), tie('value'), { maxKeys: 3 }),
  ),
})).value;

/** The password in the places and shapes a client might put it. */
function passwordValue(password: string): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: fc.constant(password), weight: 4 },
    fc.constant(`${password}${'p'.repeat(9000)}`),
    fc.string({ unit: 'binary', maxLength: 10 }).map((suffix) => `${password}${suffix}`),
    fc.constant([password]),
    fc.constant({ value: password }),
  );
}

function loginObject(target: FuzzTarget, password: string): fc.Arbitrary<Record<string, unknown>> {
  const fields = fc.record(
    {
      username: fc.oneof({ arbitrary: username, weight: 3 }, jsonValue),
      password: fc.oneof({ arbitrary: passwordValue(password), weight: 3 }, jsonValue),
      passphrase: passwordValue(password),
      privateKey: fc.oneof(fc.constant('-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n'), jsonValue),
      host: fc.oneof({ arbitrary: fc.constant(target.sshHost), weight: 3 }, jsonValue),
      port: fc.oneof({ arbitrary: fc.constantFrom<unknown>(target.sshPort, String(target.sshPort)), weight: 3 }, jsonValue),
      sshterm: jsonValue,
      'header.name': jsonValue,
      'header.background': jsonValue,
    },
    { requiredKeys: [] },
  );
  const polluting = fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString'), jsonValue, { maxKeys: 2 });
  return fc.tuple(fields, polluting).map(([login, extra]) => ({ ...login, ...extra }));
}

/** Form fields: the login's, repeated keys (arrays), bracketed and polluting keys. */
function formBody(target: FuzzTarget, password: string): fc.Arbitrary<string> {
  const key = fc.constantFrom('username', 'password', 'passphrase', 'host', 'port', 'sshterm', 'header.name', 'header.background', 'privateKey', '__proto__', '__proto__[polluted]', 'constructor[prototype][polluted]', 'password[]', 'a[b][c]', '');
  const value = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('fleettest', target.sshHost, String(target.sshPort), '99999', 'p'.repeat(9000)));
  const base = fc.constant<Array<[string, string]>>([['username', 'fleettest'], ['password', password], ['host', target.sshHost], ['port', String(target.sshPort)]]);
  return fc
    .tuple(fc.oneof(base, fc.constant([['password', password]] as Array<[string, string]>)), fc.array(fc.tuple(key, value), { maxLength: 5 }))
    .map(([fields, extra]) => [...fields, ...extra].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
}

interface Body {
  contentType: string | undefined;
  body: string | Uint8Array;
}

function body(target: FuzzTarget, password: string): fc.Arbitrary<Body> {
  const json = (text: fc.Arbitrary<string>) => text.map((body): Body => ({ contentType: 'application/json', body }));
  const login = loginObject(target, password);
  const shaped = fc.oneof(
    { arbitrary: json(login.map((object) => JSON.stringify(object))), weight: 5 },
    { arbitrary: formBody(target, password).map((body): Body => ({ contentType: 'application/x-www-form-urlencoded', body })), weight: 4 },
    json(fc.array(login, { maxLength: 2 }).map((list) => JSON.stringify(list))), // an array where an object is expected
    json(jsonValue.map((value) => JSON.stringify(value) ?? 'null')),
    json(fc.tuple(login, fc.nat()).map(([object, cut]) => { const text = JSON.stringify(object); return text.slice(0, cut % (text.length + 1)); })), // truncated
    json(fc.constant(`{"username":"fleettest","password":${password},"host":"${target.sshHost}"}`)), // invalid JSON around a bare password
    json(fc.constantFrom(100_000, 1000).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`)),
    json(fc.constant(`${'{"constructor":'.repeat(5000)}1${'}'.repeat(5000)}`)),
    json(fc.constantFrom('{"__proto__":{"polluted":true},"username":"u"}', '{"constructor":{"prototype":{"polluted":true}}}', '', 'null', '"string"', '{"a":1,}', "{'a':1}", '\uFEFF{}', '{"username":"\\ud800"}')),
    json(fc.constant(`{"username":"fleettest","password":"${password}","host":"${'h'.repeat(300_000)}"}`)), // over the 256 KiB body limit
    fc.uint8Array({ maxLength: 2048 }).map((bytes): Body => ({ contentType: 'application/octet-stream', body: bytes })),
  );
  // Mostly the matching content type, sometimes another one or none.
  return fc.tuple(shaped, fc.oneof({ arbitrary: fc.constant('matching'), weight: 4 }, fc.constant(undefined), fc.constantFrom(...CONTENT_TYPES))).map(([shape, contentType]) => ({
    contentType: contentType === 'matching' ? shape.contentType : contentType,
    body: shape.body,
  }));
}

function optionalHeaders(target: FuzzTarget, password: string) {
  return fc.record(
    {
      origin: origin(target),
      'x-apm-username': fc.oneof(fc.constant('fleettest'), headerText(20)),
      'x-apm-password': fc.constant(password),
      cookie: fc.oneof(
        fc.stringMatching(/^[A-Za-z0-9_-]{43}$/).map((id) => `wsf_handoff=${id}`),
        fc.constantFrom('wsf_handoff=', 'wsf_handoff=%ZZ', 'wsf_handoff=a; wsf_handoff=b', `wsf_handoff=${'c'.repeat(8000)}`, 'garbage', 'wsf_handoff=x;;;=;'),
      ),
      'content-type': fc.constantFrom(...CONTENT_TYPES),
      accept: fc.constantFrom('application/json', 'text/html', '*/*', ''),
    },
    { requiredKeys: [] },
  );
}

function assemble(parts: { method: string; path: string; query: string; headers: Record<string, string | undefined>; body?: Body | undefined; password: string }): HostileRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(parts.headers)) if (value !== undefined) headers[name] = value;
  if (parts.body?.contentType !== undefined) headers['content-type'] = parts.body.contentType;
  return {
    method: parts.method,
    target: `${parts.path}${parts.query}`,
    headers,
    ...(parts.body && parts.method !== 'HEAD' && { body: parts.body.body }),
    password: parts.password,
  };
}

/** One hostile request against `target`, from one of the three families. */
export function hostileRequest(target: FuzzTarget): fc.Arbitrary<HostileRequest> {
  const password = fc.stringMatching(/^[0-9a-f]{16}$/).map((hex) => `Pw-${hex}`);
  return password.chain((pw) => {
    const basicLogin = fc
      .record({
        method: fc.oneof({ arbitrary: fc.constant('GET'), weight: 4 }, fc.constant('HEAD')),
        path: hostSegment(target).map((host) => `/ssh/host/${host}`),
        query: query(target),
        authorization: authorization(pw),
        optional: optionalHeaders(target, pw),
      })
      .map(({ authorization, optional, ...rest }) => assemble({ ...rest, headers: { ...optional, authorization }, password: pw }));
    const formLogin = fc
      .record({
        method: fc.oneof({ arbitrary: fc.constant('POST'), weight: 5 }, fc.constantFrom('PUT', 'PATCH', 'GET')),
        path: fc.oneof(fc.constantFrom('/ssh', '/ssh/'), hostSegment(target).map((host) => `/ssh/host/${host}`)),
        query: query(target),
        optional: optionalHeaders(target, pw),
        body: body(target, pw),
      })
      .map(({ optional, ...rest }) => assemble({ ...rest, headers: optional, password: pw }));
    const anyRoute = fc
      .record({
        method: fc.oneof({ arbitrary: fc.constantFrom('GET', 'POST'), weight: 2 }, fc.constantFrom(...METHODS)),
        path: fc.oneof(
          { arbitrary: fc.constantFrom(...ROUTES, ...LOOKALIKES), weight: 3 },
          hostSegment(target).map((host) => `/ssh/host/${host}`),
          assetSegment(target).map((asset) => `/ssh/assets/${asset}`),
        ),
        query: query(target),
        authorization: authorization(pw),
        optional: optionalHeaders(target, pw),
        body: fc.option(body(target, pw), { nil: undefined }),
      })
      .map(({ authorization, optional, ...rest }) => assemble({ ...rest, headers: { ...optional, authorization }, password: pw }));
    return fc.oneof(basicLogin, formLogin, { arbitrary: anyRoute, weight: 2 });
  });
}

/** A one-line description for assertion messages. */
export function describeRequest(request: HostileRequest): string {
  const body = request.body === undefined ? '' : ` body(${request.body.length}): ${JSON.stringify(typeof request.body === 'string' ? request.body.slice(0, 200) : Buffer.from(request.body.subarray(0, 64)).toString('hex'))}`;
  const headers = Object.entries(request.headers).map(([name, value]) => `${name}: ${value.slice(0, 80)}`);
  return `${request.method} ${request.target.slice(0, 200)} [${headers.join(' | ')}]${body}`;
}

/**
 * Sends the request with fetch (redirects not followed) when fetch sends it
 * as generated; otherwise (dot segments and backslashes that the URL parser
 * would resolve, a body on GET) over node:http with the path as is.
 * Rejects when the gateway does not answer within `timeoutMs` or resets the
 * connection.
 */
export async function sendHostile(baseUrl: string, request: HostileRequest, timeoutMs: number): Promise<HostileAnswer> {
  const parsed = new URL(`${baseUrl}${request.target}`);
  const normalized = `${parsed.pathname}${parsed.search}`;
  // Node's client refuses unescaped non-ASCII or spaces in a path: send those the way fetch (and a browser) encodes them.
  const rawTarget = /^[\x21-\x7e]*$/.test(request.target) ? request.target : normalized;
  const fetchCanSend = rawTarget === normalized && (request.body === undefined || (request.method !== 'GET' && request.method !== 'HEAD'));
  if (!fetchCanSend) return sendRaw(baseUrl, { ...request, target: rawTarget }, timeoutMs);
  const response = await fetch(`${baseUrl}${request.target}`, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== undefined && { body: request.body }),
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  const headerLines = [...response.headers].map(([name, value]) => `${name}: ${value}`);
  const setCookies = response.headers.getSetCookie().map((line) => `set-cookie: ${line}`);
  return { status: response.status, headerText: [...headerLines, ...setCookies].join('\n'), body: await response.text(), via: 'fetch' };
}

/**
 * Keep-alive, as fetch does: with `Connection: close`, a body that reaches
 * Node's parser after the answer (a route that answers before reading it)
 * makes fastify's client-error handler append an unsolicited `400 Client
 * Error`, which Node's client then reports as a parse error.
 */
function sendRaw(baseUrl: string, request: HostileRequest, timeoutMs: number): Promise<HostileAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return new Promise<HostileAnswer>((resolve, reject) => {
    const outgoing = httpRequest({ hostname, port, method: request.method, path: request.target, headers: request.headers, agent, timeout: timeoutMs }, (response) => {
      const headerLines: string[] = [];
      for (let i = 0; i < response.rawHeaders.length; i += 2) headerLines.push(`${response.rawHeaders[i]!.toLowerCase()}: ${response.rawHeaders[i + 1]}`);
      const answer = (body: string): HostileAnswer => ({ status: response.statusCode ?? 0, headerText: headerLines.join('\n'), body, via: 'raw' });
      // The answer to HEAD ends with its head. Fastify's client-error handler
      // (431 for oversized headers, where the method is unknown to it) adds a
      // JSON body anyway, which Node's client would report as a parse error.
      if (request.method === 'HEAD') {
        response.resume();
        resolve(answer(''));
        return;
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve(answer(Buffer.concat(chunks).toString('utf8'))));
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  }).finally(() => agent.destroy());
}
