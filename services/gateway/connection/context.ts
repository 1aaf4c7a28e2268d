/**
 * What the login flow and the resume flow may use of their connection: its
 * socket and the gateway's parts, the session state, the terminal streams,
 * the link to the session's worker, and the connection's ways to answer the
 * client. ClientConnection is the one implementation.
 */
import type { z } from 'zod';
import type { ToWorker } from '../../../shared/bus/messages.js';
import type { Logger } from '../../../shared/log/logger.js';
import type { ClientConnection } from './client-connection.js';
import type { LogBudget } from './log-budget.js';
import type { BrowserSocket, GatewayParts, SessionRoutes, SocketArrival } from './parts.js';
import type { SessionState } from './session-state.js';
import type { TerminalStreams } from './terminal-streams.js';
import type { WorkerOutbox } from './worker-outbox.js';

export interface ConnectionContext {
  readonly connection: ClientConnection;
  readonly socket: BrowserSocket;
  readonly parts: GatewayParts;
  readonly routes: SessionRoutes;
  readonly arrival: SocketArrival;
  readonly state: SessionState;
  readonly streams: TerminalStreams;
  /** Bus messages to the session's worker, in order. */
  readonly outbox: WorkerOutbox;
  readonly log: Logger;
  /** Log lines about the client's misbehaviour, limited per socket. */
  readonly complaints: LogBudget;
  /** This gateway's inbox. */
  readonly gatewayAddress: `gw:${string}`;
  toWorker(message: ToWorker): void;
  /** An `ssherror` answering something the client did (within the answer budget). */
  tell(message: string): void;
  /** Any other answer to a client event, within the same budget. */
  answer(send: () => void): void;
  /** Parses an inbound payload; undefined (the client told, a line logged) when it does not parse. */
  parse<S extends z.ZodType>(event: string, schema: S, raw: unknown): z.output<S> | undefined;
  /** Lets go of the session: routes, worker link, stream counters. */
  forgetSession(): void;
  /** `session:info` with the current resume token, which this gateway then forgets. */
  announceSession(): void;
  /** An attach signed for this gateway: only the cluster's own gateways can make one. */
  attachMessage(sid: string, offset: number): ToWorker;
}
