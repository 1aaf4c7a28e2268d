/**
 * The endpoints every role answers for its orchestrator and Prometheus:
 * `/healthz` (the process is alive), `/readyz` (it can do its work: Redis
 * reachable, not shutting down) and `/metrics` (Prometheus text format).
 *
 * Every role serves them on a port of its own (FLEET_METRICS_PORT), which
 * the deployment keeps off the public network; a gateway also answers
 * `/healthz` and `/readyz` on its main port, but never `/metrics` (session
 * counts, login outcomes and timings are nobody else's business). Where the
 * metrics port cannot be kept private, FLEET_METRICS_TOKEN makes `/metrics`
 * ask for `Authorization: Bearer <token>`.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthProbe {
  ready(): boolean;
}

/** Who may read `/metrics`: the registry, and the bearer token asked for, if any. */
export interface MetricsAccess {
  registry: Registry;
  token?: string | undefined;
}

/** Answers the request if it is for a health endpoint (or `/metrics`, given `metrics`); false otherwise. */
export function serveHealth(request: IncomingMessage, response: ServerResponse, probe: HealthProbe, metrics?: MetricsAccess): boolean {
  const path = (request.url ?? '/').split('?')[0];
  if (path === '/healthz') reply(response, 200, 'text/plain; charset=utf-8', 'ok\n');
  else if (path === '/readyz') reply(response, probe.ready() ? 200 : 503, 'text/plain; charset=utf-8', probe.ready() ? 'ready\n' : 'not ready\n');
  else if (path === '/metrics' && metrics) {
    if (metrics.token !== undefined && !bearerMatches(request.headers.authorization, metrics.token)) {
      response.setHeader('www-authenticate', 'Bearer');
      reply(response, 401, 'text/plain; charset=utf-8', 'metrics need a bearer token\n');
      return true;
    }
    metrics.registry.metrics().then(
      (text) => reply(response, 200, metrics.registry.contentType, text),
      (error: Error) => reply(response, 500, 'text/plain; charset=utf-8', `${error.message}\n`),
    );
  } else return false;
  return true;
}

/** An operator action on the health port, answered once it has completed. */
export type AdminAction = () => Promise<string>;

/**
 * A server with the health and metrics endpoints and the role's operator
 * actions, keyed `METHOD /path` (a worker's `POST /drain`). Actions answer
 * only callers on the same host (a pod's preStop hook): whoever may scrape
 * metrics may not drain.
 */
export function createHealthServer(probe: HealthProbe, metrics: MetricsAccess, actions: Record<string, AdminAction> = {}): Server {
  return createServer((request, response) => {
    if (serveHealth(request, response, probe, metrics)) return;
    const action = actions[`${request.method} ${(request.url ?? '/').split('?')[0]}`];
    if (!action) return reply(response, 404, 'text/plain; charset=utf-8', 'not found\n');
    if (!isLoopback(request.socket.remoteAddress)) return reply(response, 403, 'text/plain; charset=utf-8', 'only from this host\n');
    action().then(
      (outcome) => reply(response, 200, 'text/plain; charset=utf-8', `${outcome}\n`),
      (error: Error) => reply(response, 500, 'text/plain; charset=utf-8', `${error.message}\n`),
    );
  });
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = Buffer.from(/^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

function isLoopback(address: string | undefined): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address ?? '');
}

function reply(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}
