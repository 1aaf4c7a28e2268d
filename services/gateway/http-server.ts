/**
 * The gateway's HTTP side: health endpoints for orchestrators. Socket.IO
 * attaches itself to the same server under /ssh/socket.io.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface HealthProbe {
  /** Ready to take new sessions (dependencies reachable, not shutting down). */
  ready(): boolean;
}

export function createHttpServer(probe: HealthProbe): Server {
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path?.startsWith('/ssh/socket.io')) return; // Socket.IO answers these.
    if (path === '/healthz') return reply(response, 200, 'ok\n');
    if (path === '/readyz') return probe.ready() ? reply(response, 200, 'ready\n') : reply(response, 503, 'not ready\n');
    reply(response, 404, 'not found\n');
  });
}

function reply(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  response.end(body);
}
