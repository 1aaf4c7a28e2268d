/**
 * The gateway's HTTP side: health and metrics endpoints. Socket.IO attaches
 * itself to the same server under /ssh/socket.io.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { serveHealth, type HealthProbe } from '../../shared/process/health-endpoints.js';
import { SOCKET_IO_PATH } from '../../shared/protocol/events.js';

export function createHttpServer(probe: HealthProbe, registry: Registry): Server {
  return createServer((request, response) => {
    if (request.url?.startsWith(SOCKET_IO_PATH)) return; // Socket.IO answers these.
    if (serveHealth(request, response, probe, registry)) return;
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('not found\n');
  });
}
