/**
 * The gateway's HTTP side: health and metrics endpoints, the page and its
 * assets, and WebSSH2's login routes. Socket.IO attaches itself to the same
 * server under /ssh/socket.io.
 */
import { createServer, type Server } from 'node:http';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController } from 'fastify';
import { serveHealth, type HealthProbe } from '../../../shared/process/health-endpoints.js';
import { SOCKET_IO_PATH } from '../../../shared/protocol/events.js';
import { ASSETS_PREFIX } from './client-page.js';
import { loginRoutes, type LoginRoutesOptions } from './login-routes.js';

export interface HttpServerOptions extends LoginRoutesOptions {
  probe: HealthProbe;
}

/** Room for a pasted private key (64 KiB) after form encoding. */
const BODY_LIMIT_BYTES = 256 * 1024;
/** Bundler output carries a content hash in its name and never changes. */
const HASHED_ASSET = /-[A-Za-z0-9_]{8,}\.(js|css|woff2?|map)$/;

export async function createHttpServer(options: HttpServerOptions): Promise<Server> {
  const { probe, log } = options;
  const app = Fastify({
    loggerInstance: log,
    // Our own lines say what matters (logins, hand-offs, refusals); a line per request would drown them.
    logController: new LogController({ disableRequestLogging: true }),
    // request.ip and request.protocol (hence Secure cookies) follow X-Forwarded-* only from these.
    trustProxy: options.settings.http.trustedProxies.length > 0 ? [...options.settings.http.trustedProxies] : false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Health and metrics stay outside the framework: they must answer even
    // when a route misbehaves, and cost nothing per scrape.
    serverFactory: (handler) =>
      createServer((request, response) => {
        // Socket.IO (engine.io) answers its own path, /ssh/socket.io/ and below.
        if (request.url?.startsWith(`${SOCKET_IO_PATH}/`)) return;
        // Health for the load balancer here; metrics only on the metrics port.
        if (serveHealth(request, response, probe)) return;
        handler(request, response);
      }),
  });

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // xterm.js's DOM renderer writes <style> elements for its theme and cell size.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    },
    // The page opens no cross-origin windows and embeds nothing cross-origin.
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
  });
  await app.register(fastifyFormbody, { bodyLimit: BODY_LIMIT_BYTES });
  await app.register(fastifyStatic, {
    root: options.page.assetsDir,
    prefix: ASSETS_PREFIX,
    index: false,
    maxAge: 0,
    // Source maps show the page's sources to anyone; only where the operator wants them.
    allowedPath: (path) => options.settings.http.serveSourceMaps || !path.endsWith('.map'),
    setHeaders: (reply, path) => {
      reply.header('cache-control', HASHED_ASSET.test(path) ? 'public, max-age=31536000, immutable' : 'public, max-age=3600');
    },
  });
  // Set before the routes: a plugin takes its parent's handlers when it registers.
  app.setNotFoundHandler((_request, reply) => reply.code(404).type('text/plain; charset=utf-8').send('not found\n'));
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) log.error({ err: error.message, url: request.url.split('?')[0] }, 'HTTP route failed');
    else log.warn({ status, problem: error.message, url: request.url.split('?')[0] }, 'bad HTTP request');
    return reply.code(status).header('cache-control', 'no-store').send({ error: status === 500 ? 'Internal error' : error.message });
  });
  await app.register(loginRoutes, options);
  await app.ready();
  return app.server;
}
