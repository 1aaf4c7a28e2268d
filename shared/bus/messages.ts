/**
 * The gateway <-> worker contract: one zod schema per message, one
 * discriminated union per direction, every type inferred from its schema.
 * Each message names its session (`sid`); the bus adds the sender's inbox
 * and the format version on the wire (codec.ts).
 *
 * What the browser eventually sees (prompts, host-key notices, exec output,
 * UI updates) is the browser protocol's own schema (protocol/outbound.ts), so
 * a worker cannot build a shape the gateway would relay but the client not
 * understand. Terminal bytes travel as raw Buffers both ways: no base64, no
 * JSON.
 *
 * A process only trusts messages from its own cluster, but a rolling deploy
 * can put two releases on one Redis: a message this release does not
 * understand is dropped with a log line, never half-applied.
 */
import { z } from 'zod';
import { execPayload, hostKeyVerifyResponsePayload } from '../protocol/inbound.js';
import {
  execDataMessage,
  execExitMessage,
  hostKeyNotice,
  hostKeyVerifyRequest,
  promptMessage,
  resumeFailureReason,
  detachReason,
  updateUiMessage,
} from '../protocol/outbound.js';

/** Where a message is delivered: one inbox per gateway and one per worker. */
export type InboxAddress = `gw:${string}` | `worker:${string}`;
export type GatewayAddress = `gw:${string}`;

const INBOX_NAME = '[A-Za-z0-9._-]+';
/** The pattern of an inbox address; the codec tests every entry's sender against it directly (the hot path). */
export const INBOX_ADDRESS_PATTERN = new RegExp(`^(gw|worker):${INBOX_NAME}$`);
export const inboxAddress = z.string().regex(INBOX_ADDRESS_PATTERN) as z.ZodType<InboxAddress>;
export const gatewayAddress = z.string().regex(new RegExp(`^gw:${INBOX_NAME}$`)) as z.ZodType<GatewayAddress>;

const sid = z.string().min(1).max(128);
const byteOffset = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const dimension = z.number().int().min(1).max(10_000);
const proof = z.string().max(128);

function message<Type extends string, Shape extends z.ZodRawShape>(type: Type, shape: Shape) {
  return z.object({ type: z.literal(type), sid, ...shape });
}

// ---- gateway -> worker ----

/** Open the interactive shell (the browser answered `getTerminal`). */
const terminal = message('terminal', { cols: dimension, rows: dimension });
/**
 * Typed input starting at byte `offset` of the session's input stream: the
 * worker takes each byte once (a command Redis replays after a failover
 * repeats bytes, a lost one leaves a gap it asks to fill with `input-sync`).
 * Gateways of earlier releases send no offset: their input is appended.
 */
const input = message('input', { offset: byteOffset.optional(), data: z.instanceof(Buffer) });
const resize = message('resize', { cols: dimension, rows: dimension });
/** Output bytes the client (or the gateway's transport) has taken. */
const ack = message('ack', { offset: byteOffset });
/** More exec output (in the units of `exec-data`'s `bytes`) handed to the client's socket since the last exec-ack. */
const execAck = message('exec-ack', { bytes: byteOffset });
/** Answers in prompt order, sealed (they are passwords and one-time codes); null when the user abandoned the round. */
const promptResponse = message('prompt-response', { promptId: z.string().max(128), sealedAnswers: z.string().nullable() });
/** The user's answer to `hostkey-verify`. */
const hostKeyResponse = message('hostkey-response', { action: hostKeyVerifyResponsePayload.shape.action });
/** Exactly what the browser may ask for: the browser's schema. */
const exec = message('exec', { request: execPayload });
const replayCredentials = message('replay-credentials', {});
/**
 * Carry this session from now on (the sender is the new gateway): a resume,
 * or a gateway re-attaching after losing messages. Output is re-sent from
 * `offset`; `tokenHash` is the session's current resume-token hash. `proof`
 * covers all of it with `issuedAt` and `nonce` under the cluster secret
 * (crypto/ownership-proof.ts): the worker attaches nothing without it.
 */
const attach = message('attach', {
  offset: byteOffset,
  tokenHash: z.string().max(128),
  issuedAt: z.number().int(),
  nonce: z.string().max(64),
  proof,
});
/** The socket went away without saying goodbye: keep the session for a resume. */
const detach = message('detach', {});
/** End the session now. */
const close = message('close', { reason: z.string().max(256) });

export const toWorkerMessage = z.discriminatedUnion('type', [
  terminal, input, resize, ack, execAck, promptResponse, hostKeyResponse, exec, replayCredentials, attach, detach, close,
]);

// ---- worker -> gateway ----

/** A worker took the session; send its traffic to `worker` (if `proof` shows the cluster secret made it). */
const claimed = message('claimed', { worker: inboxAddress, fence: z.number().int(), proof });
const prompt = message('prompt', { prompt: promptMessage });
/** The SSH server presented a key the trust store does not know: ask the user. */
const hostKeyVerify = message('hostkey-verify', { request: hostKeyVerifyRequest });
const hostKeyNoticeMessage = message('hostkey-notice', { notice: hostKeyNotice });
/** `credentialsRejected`: the SSH server refused the credentials (not a network or policy failure). */
const authResult = message('auth-result', {
  success: z.boolean(),
  message: z.string().optional(),
  credentialsRejected: z.boolean().optional(),
});
/**
 * Shell output starting at byte `offset` of the session's output stream.
 * `inputOffset`: the input the session had received when it was sent, so
 * the gateway forgets the input it kept for a re-send as soon as an echo
 * comes back (absent from workers of earlier releases).
 */
const output = message('output', { offset: byteOffset, inputOffset: byteOffset.optional(), data: z.instanceof(Buffer) });
/** Exec output; `bytes` is its size as a JSON string, the exec window's unit (control characters cost six). */
const execData = message('exec-data', { message: execDataMessage, bytes: byteOffset });
/** The SSH channel has taken the session's input up to `offset` (the gateway's input window moves on). */
const inputAck = message('input-ack', { offset: byteOffset });
/**
 * The session has received input up to `offset` and no further: input the
 * gateway sent after it was lost (Redis failed over) and is to be sent
 * again. Sent on a gap in the input offsets, and to every carrier after the
 * worker's inbox lost messages.
 */
const inputSync = message('input-sync', { offset: byteOffset });
const execExit = message('exec-exit', { message: execExitMessage });
const sshError = message('ssherror', { message: z.string() });
const ui = message('ui', { update: updateUiMessage });
const closed = message('closed', { reason: z.string(), exitCode: z.number().int().optional(), signal: z.string().optional() });
/**
 * Attach accepted: output follows from `offset`; the session has accepted
 * `inputOffset` input bytes, of which the SSH channel has taken `inputTaken`.
 */
const attached = message('attached', { offset: byteOffset, inputOffset: byteOffset, inputTaken: byteOffset });
const attachFailed = message('attach-failed', {
  reason: resumeFailureReason.extract(['offset-gone', 'forbidden']),
  message: z.string(),
});
/** Another gateway took the session over; this one no longer carries it. */
const detached = message('detached', { reason: detachReason.extract(['taken-over']) });

export const toGatewayMessage = z.discriminatedUnion('type', [
  claimed, prompt, hostKeyVerify, hostKeyNoticeMessage, authResult, output, execData, inputAck, inputSync, execExit, sshError, ui, closed,
  attached, attachFailed, detached,
]);

export type ToWorker = z.infer<typeof toWorkerMessage>;
export type ToGateway = z.infer<typeof toGatewayMessage>;
export type BusMessage = ToWorker | ToGateway;

const TO_WORKER_TYPES: ReadonlySet<string> = new Set(toWorkerMessage.options.map((option) => option.shape.type.value));

/** Inboxes are typed by who reads them; a message of the other direction is a routing bug. */
export function isToWorker(message: BusMessage): message is ToWorker {
  return TO_WORKER_TYPES.has(message.type);
}

export function isToGateway(message: BusMessage): message is ToGateway {
  return !TO_WORKER_TYPES.has(message.type);
}

/** The schema of each message type, both directions, for the decoder. */
export const busMessageSchemas: ReadonlyMap<string, z.ZodType<BusMessage>> = new Map(
  [...toWorkerMessage.options, ...toGatewayMessage.options].map((schema) => [schema.shape.type.value, schema as z.ZodType<BusMessage>]),
);
