/**
 * One socket to the gateway, made the page's way: WebSocket only (any
 * gateway behind any balancer will do), no reconnection of its own
 * (SessionLink reconnects with a resume as the new socket's first event),
 * and the events that are only news for the page relayed straight to it.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/protocol/events.js';
import type { LinkEvents, LinkOptions } from './link-events.js';

export type GatewaySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const CONNECT_TIMEOUT_MS = 8_000;

export function openGatewaySocket(options: LinkOptions, events: LinkEvents): GatewaySocket {
  const socket: GatewaySocket = io(options.url, {
    path: options.path,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: CONNECT_TIMEOUT_MS,
  });
  socket.on('permissions', (permissions) => events.permissions(permissions));
  socket.on('prompt', (prompt) => events.prompt(prompt));
  socket.on('updateUI', (update) => events.updateUi(update));
  socket.on('hostkey:verify', (request) => events.hostKeyVerify(request));
  socket.on('hostkey:mismatch', (detail) => events.hostKeyNews({ kind: 'mismatch', detail }));
  socket.on('hostkey:rejected', (detail) => events.hostKeyNews({ kind: 'rejected', detail }));
  socket.on('hostkey:alert', (detail) => events.hostKeyNews({ kind: 'alert', detail }));
  return socket;
}
