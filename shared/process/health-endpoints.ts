/**
 * The endpoints every role answers for its orchestrator and Prometheus:
 * `/healthz` (the process is alive), `/readyz` (it can do its work: Redis
 * reachable, not shutting down) and `/metrics` (Prometheus text format). The
 * gateway serves them on its main port, a worker on a small port of its own.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthProbe {
  ready(): boolean;
}

/** Answers the request if it is for a health or metrics endpoint; false otherwise. */
export function serveHealth(request: IncomingMessage, response: ServerResponse, probe: HealthProbe, registry: Registry): boolean {
  const path = (request.url ?? '/').split('?')[0];
  if (path === '/healthz') reply(response, 200, 'text/plain; charset=utf-8', 'ok\n');
  else if (path === '/readyz') reply(response, probe.ready() ? 200 : 503, 'text/plain; charset=utf-8', probe.ready() ? 'ready\n' : 'not ready\n');
  else if (path === '/metrics') {
    registry.metrics().then(
      (text) => reply(response, 200, registry.contentType, text),
      (error: Error) => reply(response, 500, 'text/plain; charset=utf-8', `${error.message}\n`),
    );
  } else return false;
  return true;
}

/** A server with nothing but the health and metrics endpoints (for workers). */
export function createHealthServer(probe: HealthProbe, registry: Registry): Server {
  return createServer((request, response) => {
    if (!serveHealth(request, response, probe, registry)) reply(response, 404, 'text/plain; charset=utf-8', 'not found\n');
  });
}

function reply(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}
