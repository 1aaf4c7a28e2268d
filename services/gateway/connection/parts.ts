/**
 * What a browser socket's connection is made of and given: the socket, the
 * gateway's shared parts (bus, store, placement, limits, keys, metrics), and
 * the gateway's routing of bus messages to the connection carrying a session.
 */
import type { Socket } from 'socket.io';
import type { Bus } from '../../../shared/bus/bus.js';
import type { ToWorker } from '../../../shared/bus/messages.js';
import type { Config } from '../../../shared/config/schema.js';
import type { CredentialHandoff } from '../../../shared/credential-handoff/credential-handoff.js';
import type { OwnershipProofs } from '../../../shared/crypto/ownership-proof.js';
import type { ResumeTokenHasher } from '../../../shared/crypto/resume-token.js';
import type { SealedBox } from '../../../shared/crypto/sealed-box.js';
import type { Logger } from '../../../shared/log/logger.js';
import type { PlacementQueue } from '../../../shared/placement/placement.js';
import type { ClientToServerEvents, ServerToClientEvents, UntrustedEvents } from '../../../shared/protocol/events.js';
import type { SessionStore } from '../../../shared/session-store/session-store.js';
import type { AbuseLimits } from '../abuse-limits.js';
import type { GatewayMetrics } from '../metrics.js';
import type { ClientConnection } from './client-connection.js';

export type BrowserSocket = Socket<UntrustedEvents<ClientToServerEvents>, ServerToClientEvents>;

export type GatewaySettings = Pick<Config, 'ssh' | 'options' | 'session' | 'flow' | 'http' | 'limits'> & {
  cluster: Pick<Config['cluster'], 'placementTimeoutMs' | 'heartbeatIntervalMs'>;
};

export interface GatewayParts {
  settings: GatewaySettings;
  bus: Bus<ToWorker>;
  store: SessionStore;
  placement: PlacementQueue;
  /** Credentials left by an HTTP login route for the socket that follows. */
  handoff: CredentialHandoff;
  limits: AbuseLimits;
  credentialsBox: SealedBox;
  tokenHasher: ResumeTokenHasher;
  /** Checks who owns a session, and signs this gateway's claims to carry one. */
  proofs: OwnershipProofs;
  log: Logger;
  metrics: GatewayMetrics;
}

/** What the socket's handshake told about its client. */
export interface SocketArrival {
  /** The browser's address (X-Forwarded-For when the peer is a trusted proxy). */
  clientAddress: string;
  /** The hand-off cookie, if an HTTP login route left credentials. */
  handoffId?: string;
}

/** Where a connection's session traffic is registered, by session id. */
export interface SessionRoutes {
  register(sid: string, connection: ClientConnection): void;
  unregister(sid: string, connection: ClientConnection): void;
  /**
   * A resume of `sid` starts on this connection: the worker's answer comes
   * to it, and a connection of this gateway that carries the session now is
   * held (it sends nothing on) until the resume ends. False when another
   * resume of the session is under way here.
   */
  beginResume(sid: string, connection: ClientConnection): boolean;
  /** The worker attached the session to `connection`, which carries it from now on. */
  completeResume(sid: string, connection: ClientConnection): void;
  /**
   * The resume ended without an attach. `refused`: the worker said no, and a
   * connection that carried the session goes on. `unknown` (no answer, or the
   * socket left): the session is detached, and such a connection taken over.
   */
  abandonResume(sid: string, connection: ClientConnection, outcome: 'refused' | 'unknown'): void;
}
