/**
 * A gateway: terminates browser sockets and relays their sessions over the
 * bus. It reads one inbox and hands each message to the connection that
 * registered the session id, so the work per message does not depend on how
 * many sessions the cluster holds. The same class runs in the all-in-one
 * process, on in-memory parts.
 */
import type { Server as HttpServer } from 'node:http';
import { Server, type ServerOptions } from 'socket.io';
import type { Envelope } from '../../shared/bus/bus.js';
import { isToGateway } from '../../shared/bus/messages.js';
import { SOCKET_IO_PATH, type ClientToServerEvents, type ServerToClientEvents, type UntrustedEvents } from '../../shared/protocol/events.js';
import { ClientConnection, type GatewayParts, type SessionRoutes } from './client-connection.js';
import { originAllowed } from './origin-policy.js';

/** Big enough for a pasted private key, small enough to refuse abuse. */
const MAX_SOCKET_MESSAGE_BYTES = 512 * 1024;

export interface GatewayOptions {
  origins: readonly string[];
  /** The Redis adapter in cluster mode; Socket.IO's in-memory one otherwise. */
  adapter?: ServerOptions['adapter'];
}

export class Gateway implements SessionRoutes {
  readonly io: Server<UntrustedEvents<ClientToServerEvents>, ServerToClientEvents>;
  private readonly connections = new Map<string, ClientConnection>();

  constructor(private readonly parts: GatewayParts, httpServer: HttpServer, options: GatewayOptions) {
    this.io = new Server(httpServer, {
      path: SOCKET_IO_PATH,
      // WebSocket only: no long-polling, so no sticky sessions are needed
      // in front of a fleet of gateways.
      transports: ['websocket'],
      serveClient: false,
      maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
      perMessageDeflate: false,
      allowRequest: (request, callback) => {
        const allowed = originAllowed(request.headers.origin, options.origins);
        if (!allowed) parts.log.warn({ origin: request.headers.origin }, 'socket refused: origin not allowed');
        callback(allowed ? null : 'origin not allowed', allowed);
      },
      ...(options.adapter && { adapter: options.adapter }),
    });
  }

  get sessionCount(): number {
    return this.connections.size;
  }

  start(): void {
    this.parts.bus.listen((envelope) => this.route(envelope));
    this.io.on('connection', (socket) => new ClientConnection(socket, this.parts, this));
  }

  register(sid: string, connection: ClientConnection): void {
    this.connections.set(sid, connection);
  }

  unregister(sid: string, connection: ClientConnection): void {
    if (this.connections.get(sid) === connection) this.connections.delete(sid);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
    await this.parts.bus.close();
  }

  private route({ message }: Envelope): void {
    if (!isToGateway(message)) {
      this.parts.log.warn({ sid: message.sid, type: message.type }, 'worker-bound message in a gateway inbox; dropped');
      return;
    }
    const connection = this.connections.get(message.sid);
    if (connection) connection.deliver(message);
    else this.parts.log.debug({ sid: message.sid, type: message.type }, 'message for a session with no socket here');
  }
}
