/**
 * A gateway: terminates browser sockets and relays their sessions over the
 * bus. It reads one inbox and hands each message to the connection that
 * registered the session id, so the work per message does not depend on how
 * many sessions the cluster holds. The same class runs in the all-in-one
 * process, on in-memory parts.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { Server, type ServerOptions, type Socket } from 'socket.io';
import type { Envelope } from '../../shared/bus/bus.js';
import { isToGateway } from '../../shared/bus/messages.js';
import { SOCKET_IO_PATH, type ClientToServerEvents, type ServerToClientEvents, type UntrustedEvents } from '../../shared/protocol/events.js';
import { ClientConnection, type GatewayParts, type SessionRoutes } from './connection/client-connection.js';
import { arrivedOverHttps, clientAddressOf, proxyTrust, type ProxyTrust } from './client-address.js';
import { eventRateLimit } from './event-rate-limit.js';
import { expiredHandoffCookie, handoffIdOf } from './http/handoff-cookie.js';
import { originAllowed } from './origin-policy.js';
import { readBudget } from './read-budget.js';
import { SocketsPerClient } from './sockets-per-client.js';

/** Big enough for a pasted private key, small enough to refuse abuse. */
const MAX_SOCKET_MESSAGE_BYTES = 512 * 1024;

export interface GatewayOptions {
  origins: readonly string[];
  /** The Redis adapter in cluster mode; Socket.IO's in-memory one otherwise. */
  adapter?: ServerOptions['adapter'];
}

/** Consecutive liveness checks a worker's inbox must be missing before its sessions are declared lost. */
const MISSES_BEFORE_LOST = 2;

export class Gateway implements SessionRoutes {
  readonly io: Server<UntrustedEvents<ClientToServerEvents>, ServerToClientEvents>;
  /** Connections by the session they carry: where inbox messages go. */
  private readonly connections = new Map<string, ClientConnection>();
  /** Connections resuming a session, by session: where the worker's answer goes. */
  private readonly resumes = new Map<string, ClientConnection>();
  /** Every open socket's connection, with a session or not. */
  private readonly sockets = new Set<ClientConnection>();
  private readonly workerMisses = new Map<string, number>();
  private livenessTimer: NodeJS.Timeout | undefined;
  private readonly proxyTrust: ProxyTrust;
  private readonly limitEvents: (socket: Socket) => void;
  private readonly limitReads: (socket: Socket) => void;
  private readonly perClient: SocketsPerClient;

  constructor(private readonly parts: GatewayParts, httpServer: HttpServer, options: GatewayOptions) {
    this.proxyTrust = proxyTrust(parts.settings.http.trustedProxies);
    this.limitEvents = eventRateLimit(parts.settings.limits.eventsPerSecond, parts.log, parts.metrics);
    this.limitReads = readBudget(parts.settings.limits.inboundBytesPerSecond);
    this.perClient = new SocketsPerClient(parts.settings.limits.socketsPerIp, parts.settings.limits.ipv6PrefixBits);
    this.io = new Server(httpServer, {
      path: SOCKET_IO_PATH,
      // WebSocket only: no long-polling, so no sticky sessions are needed
      // in front of a fleet of gateways.
      transports: ['websocket'],
      serveClient: false,
      maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
      perMessageDeflate: false,
      allowRequest: (request, callback) => {
        if (!originAllowed(request.headers.origin, options.origins, request.headers.host)) {
          parts.log.warn({ origin: String(request.headers.origin).slice(0, 200) }, 'socket refused: origin not allowed');
          return callback('origin not allowed', false);
        }
        const client = clientAddressOf(request, this.proxyTrust);
        if (!this.perClient.admits(client)) {
          parts.metrics.limitHit('sockets');
          return callback('too many connections from your address', false);
        }
        callback(null, true);
      },
      ...(options.adapter && { adapter: options.adapter }),
    });
    // A hand-off is single-use: the handshake that carries its cookie also
    // clears it, so the page's later sockets (resumes) arrive without it.
    this.io.engine.on('initial_headers', (headers: Record<string, string>, request: IncomingMessage) => {
      const secure = arrivedOverHttps(request, this.proxyTrust);
      if (handoffIdOf(request.headers.cookie, secure)) headers['set-cookie'] = expiredHandoffCookie(secure);
    });
  }

  get sessionCount(): number {
    return this.connections.size;
  }

  get socketCount(): number {
    return this.sockets.size;
  }

  start(): void {
    this.parts.bus.listen((envelope) => this.route(envelope));
    // Messages to this gateway may be lost: every session re-attaches from
    // the offset its socket has, so its worker sends again what is missing.
    this.parts.bus.onMessagesLost?.((cause) => {
      this.parts.log.warn({ sessions: this.connections.size, cause }, 'inbox may have lost messages; re-attaching sessions');
      for (const connection of this.connections.values()) connection.reattach();
    });
    this.parts.bus.onReachable?.((reachable) => {
      for (const connection of this.connections.values()) connection.storeReachable(reachable);
    });
    this.io.on('connection', (socket) => {
      this.limitEvents(socket);
      this.limitReads(socket);
      const clientAddress = clientAddressOf(socket.request, this.proxyTrust);
      socket.once('disconnect', this.perClient.opened(clientAddress));
      const connection = new ClientConnection(socket, this.parts, this, {
        clientAddress,
        handoffId: handoffIdOf(socket.request.headers.cookie, arrivedOverHttps(socket.request, this.proxyTrust)),
      });
      // Nothing reads the handshake's HTTP request after this, and Engine.IO
      // would keep it (headers, parser state) for the life of the socket: a
      // few KiB per terminal, which thousands of terminals feel. Socket.IO's
      // own advice for large deployments.
      (socket.conn as { request: unknown }).request = null;
      this.sockets.add(connection);
      socket.once('disconnect', () => this.sockets.delete(connection));
    });
    this.livenessTimer = setInterval(() => void this.checkWorkers(), this.parts.settings.cluster.heartbeatIntervalMs);
    this.livenessTimer.unref();
  }

  register(sid: string, connection: ClientConnection): void {
    this.connections.set(sid, connection);
  }

  unregister(sid: string, connection: ClientConnection): void {
    if (this.connections.get(sid) === connection) this.connections.delete(sid);
    if (this.resumes.get(sid) === connection) this.resumes.delete(sid);
  }

  /*
   * Resumes on this gateway. The worker cannot tell two sockets of one
   * gateway apart, so the gateway keeps the newest-socket-wins rule itself:
   * a socket here that carries the session is held while another resumes it
   * (nothing it sends reaches the worker), then taken over if the resume
   * succeeds, and released if the worker refuses it.
   */
  beginResume(sid: string, connection: ClientConnection): boolean {
    if (this.resumes.has(sid)) return false;
    this.resumes.set(sid, connection);
    this.connections.get(sid)?.hold();
    return true;
  }

  completeResume(sid: string, connection: ClientConnection): void {
    if (this.resumes.get(sid) === connection) this.resumes.delete(sid);
    const previous = this.connections.get(sid);
    this.connections.set(sid, connection);
    if (previous && previous !== connection) previous.takenOver();
  }

  abandonResume(sid: string, connection: ClientConnection, outcome: 'refused' | 'unknown'): void {
    if (this.resumes.get(sid) !== connection) return;
    this.resumes.delete(sid);
    const previous = this.connections.get(sid);
    if (outcome === 'refused') previous?.release();
    else previous?.takenOver();
  }

  /**
   * Stops taking sockets, tells every client to resume elsewhere
   * (`session:detached {reason:'gateway-shutdown'}`), leaves the sessions
   * running on their workers, and closes.
   */
  async shutdown(): Promise<void> {
    clearInterval(this.livenessTimer);
    // Tell each client first: io.close() disconnects every socket at once.
    for (const connection of [...this.sockets]) connection.shutdown();
    await this.io.close();
    await this.parts.bus.close();
  }

  /**
   * A worker whose inbox is gone is dead (its inbox outlives a live worker's
   * heartbeat); its sessions are told. One check per distinct worker, not
   * per session.
   */
  private async checkWorkers(): Promise<void> {
    const byWorker = new Map<string, ClientConnection[]>();
    for (const connection of this.connections.values()) {
      const worker = connection.workerAddress;
      if (!worker) continue;
      const carried = byWorker.get(worker);
      if (carried) carried.push(connection);
      else byWorker.set(worker, [connection]);
    }
    for (const worker of this.workerMisses.keys()) if (!byWorker.has(worker)) this.workerMisses.delete(worker);
    await Promise.all(
      [...byWorker].map(async ([worker, connections]) => {
        const alive = await this.parts.bus.isAlive(worker as `worker:${string}`).catch(() => true);
        const misses = alive ? 0 : (this.workerMisses.get(worker) ?? 0) + 1;
        this.workerMisses.set(worker, misses);
        if (misses < MISSES_BEFORE_LOST) return;
        this.parts.log.warn({ worker, sessions: connections.length }, 'worker gone; its sessions are lost');
        for (const connection of connections) connection.workerLost();
      }),
    );
  }

  private route({ message, sentAt }: Envelope): void {
    this.parts.metrics.relayed(sentAt);
    if (!isToGateway(message)) {
      this.parts.log.warn({ sid: message.sid, type: message.type }, 'worker-bound message in a gateway inbox; dropped');
      return;
    }
    const resuming = message.type === 'attached' || message.type === 'attach-failed' ? this.resumes.get(message.sid) : undefined;
    const connection = resuming ?? this.connections.get(message.sid);
    if (connection) connection.deliver(message);
    else this.parts.log.debug({ sid: message.sid, type: message.type }, 'message for a session with no socket here');
  }
}
