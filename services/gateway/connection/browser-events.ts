/**
 * The browser's side of the conversation: every client -> server event of
 * the WebSSH2 protocol and the session extension, parsed with its zod schema
 * and handed on typed. Nothing else reads raw client input. An event the
 * protocol does not have is answered (within the answer budget) and logged
 * once per socket, by a shortened name and never with its payload.
 */
import type { ClientToServerEvents } from '../../../shared/protocol/events.js';
import {
  controlPayload,
  dataPayload,
  execPayload,
  hostKeyVerifyResponsePayload,
  promptResponsePayload,
  resizePayload,
  sessionAckPayload,
  sessionResumePayload,
  terminalPayload,
  type ControlAction,
  type ExecPayload,
  type HostKeyVerifyResponse,
  type PromptResponse,
  type ResizePayload,
  type SessionResumePayload,
  type TerminalPayload,
} from '../../../shared/protocol/inbound.js';
import type { ConnectionContext } from './context.js';

/** What the connection does with each event, once it has parsed. */
export interface BrowserHandlers {
  /** Raw: a bad `authenticate` is answered with an `auth_result`, as WebSSH2 does (login-flow.ts). */
  authenticate(raw: unknown): void;
  resume(request: SessionResumePayload): void;
  promptResponse(response: PromptResponse): void;
  hostKeyResponse(action: HostKeyVerifyResponse['action']): void;
  terminal(spec: TerminalPayload): void;
  data(text: string): void;
  resize(size: ResizePayload): void;
  control(action: ControlAction): void;
  exec(request: ExecPayload): void;
  ack(offset: number): void;
  disconnect(reason: string): void;
}

/** Every event a client may send: the keys of the protocol's event map, checked by the compiler both ways. */
const CLIENT_EVENTS = {
  authenticate: true,
  terminal: true,
  data: true,
  resize: true,
  control: true,
  'prompt-response': true,
  exec: true,
  'session:ack': true,
  'session:resume': true,
  'hostkey:verify-response': true,
} as const satisfies Record<keyof ClientToServerEvents, true>;

export function listenToBrowser(ctx: ConnectionContext, handlers: BrowserHandlers): void {
  const { socket } = ctx;
  socket.on('authenticate', (raw) => handlers.authenticate(raw));
  socket.on('session:resume', (raw) => {
    const request = ctx.parse('session:resume', sessionResumePayload, raw);
    if (request) handlers.resume(request);
  });
  socket.on('prompt-response', (raw) => {
    const response = ctx.parse('prompt-response', promptResponsePayload, raw);
    if (response) handlers.promptResponse(response);
  });
  socket.on('hostkey:verify-response', (raw) => {
    const response = ctx.parse('hostkey:verify-response', hostKeyVerifyResponsePayload, raw);
    if (response) handlers.hostKeyResponse(response.action);
  });
  socket.on('terminal', (raw) => {
    const spec = ctx.parse('terminal', terminalPayload, raw);
    if (spec) handlers.terminal(spec);
  });
  socket.on('data', (raw) => {
    const text = ctx.parse('data', dataPayload, raw);
    if (text !== undefined) handlers.data(text);
  });
  socket.on('resize', (raw) => {
    const size = ctx.parse('resize', resizePayload, raw);
    if (size) handlers.resize(size);
  });
  socket.on('control', (raw) => {
    const action = ctx.parse('control', controlPayload, raw);
    if (action) handlers.control(action);
  });
  socket.on('exec', (raw) => {
    const request = ctx.parse('exec', execPayload, raw);
    if (request) handlers.exec(request);
  });
  socket.on('session:ack', (raw) => {
    const ack = ctx.parse('session:ack', sessionAckPayload, raw);
    if (ack) handlers.ack(ack.offset);
  });
  let unknownEventSeen = false;
  socket.onAny((event: unknown) => {
    if (typeof event === 'string' && Object.hasOwn(CLIENT_EVENTS, event)) return;
    // An event name can be as long as a message may be: only its start is repeated, and never its payload.
    const name = String(event).slice(0, 64);
    if (!unknownEventSeen) {
      unknownEventSeen = true;
      ctx.complaints.warn({ event: name }, 'unknown event from client (further ones from this socket are not logged)');
    }
    ctx.tell(`Unsupported event: ${name}`);
  });
  socket.on('disconnect', (reason) => handlers.disconnect(reason));
}
