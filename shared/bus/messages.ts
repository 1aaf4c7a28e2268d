/**
 * Messages between gateways and ssh-workers: two tagged unions, one per
 * direction. Each message names its session (`sid`); the bus adds the
 * sender's inbox and the format version on the wire (see codec.ts).
 *
 * Terminal bytes travel as raw Buffers in both directions: no base64, no JSON.
 */
import { z } from 'zod';
import type {
  ExecDataMessage,
  ExecExitMessage,
  HostKeyInfo,
  HostKeyMismatch,
  HostKeyRejected,
  HostKeyVerified,
  HostKeyVerifyRequest,
  PromptMessage,
  UpdateUiMessage,
} from '../protocol/events.js';
import type { ExecPayload, HostKeyVerifyResponse } from '../protocol/inbound.js';

/** What the worker tells the client about the host key, as the browser event it becomes. */
export type HostKeyNotice =
  | { event: 'hostkey:verified'; payload: HostKeyVerified }
  | { event: 'hostkey:mismatch'; payload: HostKeyMismatch }
  | { event: 'hostkey:alert'; payload: HostKeyInfo }
  | { event: 'hostkey:rejected'; payload: HostKeyRejected };

/** Where a message is delivered: one inbox per gateway and one per worker. */
export type InboxAddress = `gw:${string}` | `worker:${string}`;

export type ToWorker =
  /** Open the interactive shell (the browser answered `getTerminal`). */
  | { type: 'terminal'; sid: string; cols: number; rows: number }
  | { type: 'input'; sid: string; data: Buffer }
  | { type: 'resize'; sid: string; cols: number; rows: number }
  /** Output bytes the client (or the gateway's transport) has taken. */
  | { type: 'ack'; sid: string; offset: number }
  /** More exec output (in the units of `exec-data`'s `bytes`) handed to the client's socket since the last exec-ack. */
  | { type: 'exec-ack'; sid: string; bytes: number }
  /**
   * Answers in prompt order, sealed (they are passwords and one-time codes);
   * null when the user abandoned the round.
   */
  | { type: 'prompt-response'; sid: string; promptId: string; sealedAnswers: string | null }
  /** The user's answer to `hostkey-verify`. */
  | { type: 'hostkey-response'; sid: string; action: HostKeyVerifyResponse['action'] }
  | { type: 'exec'; sid: string; request: ExecPayload }
  | { type: 'replay-credentials'; sid: string }
  /**
   * Carry this session from now on (the sender is the new gateway): a resume,
   * or a gateway re-attaching after losing messages. Output is re-sent from
   * `offset`; `tokenHash` is the session's current resume-token hash.
   * `proof` covers all of it with `issuedAt` and `nonce` under the cluster
   * secret (crypto/ownership-proof.ts): the worker attaches nothing without it.
   */
  | { type: 'attach'; sid: string; offset: number; tokenHash: string; issuedAt: number; nonce: string; proof: string }
  /** The socket went away without saying goodbye: keep the session for a resume. */
  | { type: 'detach'; sid: string }
  /** End the session now. */
  | { type: 'close'; sid: string; reason: string };

export type ToGateway =
  /** A worker took the session; send its traffic to `worker` (if `proof` shows the cluster secret made it). */
  | { type: 'claimed'; sid: string; worker: InboxAddress; fence: number; proof: string }
  | { type: 'prompt'; sid: string; prompt: PromptMessage }
  /** The SSH server presented a key the trust store does not know: ask the user. */
  | { type: 'hostkey-verify'; sid: string; request: HostKeyVerifyRequest }
  | { type: 'hostkey-notice'; sid: string; notice: HostKeyNotice }
  /** `credentialsRejected`: the SSH server refused the credentials (not a network or policy failure). */
  | { type: 'auth-result'; sid: string; success: boolean; message?: string; credentialsRejected?: boolean }
  /** Shell output starting at byte `offset` of the session's output stream. */
  | { type: 'output'; sid: string; offset: number; data: Buffer }
  /** Exec output; `bytes` is its size as a JSON string, the exec window's unit (control characters cost six). */
  | { type: 'exec-data'; sid: string; message: ExecDataMessage; bytes: number }
  /** The SSH channel has taken the session's input up to `offset` (the gateway's input window moves on). */
  | { type: 'input-ack'; sid: string; offset: number }
  | { type: 'exec-exit'; sid: string; message: ExecExitMessage }
  | { type: 'ssherror'; sid: string; message: string }
  | { type: 'ui'; sid: string; update: UpdateUiMessage }
  | { type: 'closed'; sid: string; reason: string; exitCode?: number; signal?: string }
  /**
   * Attach accepted: output follows from `offset`; the session has accepted
   * `inputOffset` input bytes, of which the SSH channel has taken `inputTaken`.
   */
  | { type: 'attached'; sid: string; offset: number; inputOffset: number; inputTaken: number }
  | { type: 'attach-failed'; sid: string; reason: 'offset-gone' | 'forbidden'; message: string }
  /** Another gateway took the session over; this one no longer carries it. */
  | { type: 'detached'; sid: string; reason: 'taken-over' };

export type BusMessage = ToWorker | ToGateway;

const TO_WORKER_TYPES: ReadonlySet<string> = new Set<ToWorker['type']>([
  'terminal', 'input', 'resize', 'ack', 'exec-ack', 'prompt-response', 'hostkey-response', 'exec', 'replay-credentials', 'attach', 'detach', 'close',
]);

/** Inboxes are typed by who reads them; a message of the other direction is a routing bug. */
export function isToWorker(message: BusMessage): message is ToWorker {
  return TO_WORKER_TYPES.has(message.type);
}

export function isToGateway(message: BusMessage): message is ToGateway {
  return !TO_WORKER_TYPES.has(message.type);
}

/** Types whose body is raw bytes rather than JSON. */
export const BINARY_TYPES = new Set<BusMessage['type']>(['input', 'output']);

const sid = z.string().min(1).max(128);
const dims = { cols: z.number().int().min(1), rows: z.number().int().min(1) };
const inbox = z.string().regex(/^(gw|worker):[A-Za-z0-9._-]+$/) as z.ZodType<InboxAddress>;
const hostKeyInfo = { host: z.string(), port: z.number().int(), algorithm: z.string(), fingerprint: z.string() };

/**
 * Schemas for the JSON-bodied variants. A process only trusts messages from
 * its own cluster, but a rolling deploy can put two releases on one Redis:
 * a message this release does not understand is dropped with a log line,
 * never half-applied.
 */
export const jsonBodySchemas = {
  terminal: z.object({ sid, ...dims }),
  resize: z.object({ sid, ...dims }),
  ack: z.object({ sid, offset: z.number().int().min(0) }),
  'exec-ack': z.object({ sid, bytes: z.number().int().min(0) }),
  'input-ack': z.object({ sid, offset: z.number().int().min(0) }),
  'prompt-response': z.object({ sid, promptId: z.string(), sealedAnswers: z.string().nullable() }),
  'hostkey-response': z.object({ sid, action: z.enum(['accept', 'trusted', 'reject']) }),
  exec: z.object({
    sid,
    request: z.object({
      command: z.string(),
      pty: z.boolean().optional(),
      term: z.string().optional(),
      cols: z.number().int().optional(),
      rows: z.number().int().optional(),
      env: z.record(z.string(), z.string()).optional(),
      timeoutMs: z.number().int().optional(),
    }),
  }),
  'replay-credentials': z.object({ sid }),
  attach: z.object({
    sid,
    offset: z.number().int().min(0),
    tokenHash: z.string(),
    issuedAt: z.number().int(),
    nonce: z.string().max(64),
    proof: z.string().max(128),
  }),
  detach: z.object({ sid }),
  close: z.object({ sid, reason: z.string() }),
  claimed: z.object({ sid, worker: inbox, fence: z.number().int(), proof: z.string().max(128) }),
  prompt: z.object({
    sid,
    prompt: z.object({
      id: z.string(),
      type: z.literal('input'),
      title: z.string(),
      message: z.string(),
      inputs: z.array(
        z.object({ id: z.string(), label: z.string(), type: z.enum(['text', 'password']), required: z.boolean() }),
      ),
      buttons: z.array(
        z.object({ action: z.string(), label: z.string(), variant: z.enum(['primary', 'secondary']).optional() }),
      ),
      autoFocus: z.boolean(),
    }),
  }),
  'hostkey-verify': z.object({ sid, request: z.object({ ...hostKeyInfo, key: z.string() }) }),
  'hostkey-notice': z.object({
    sid,
    notice: z.discriminatedUnion('event', [
      z.object({ event: z.literal('hostkey:verified'), payload: z.object({ ...hostKeyInfo, source: z.enum(['server', 'client']) }) }),
      z.object({
        event: z.literal('hostkey:mismatch'),
        payload: z.object({ ...hostKeyInfo, presentedFingerprint: z.string(), storedFingerprint: z.string(), source: z.literal('server') }),
      }),
      z.object({ event: z.literal('hostkey:alert'), payload: z.object(hostKeyInfo) }),
      z.object({ event: z.literal('hostkey:rejected'), payload: z.object({ ...hostKeyInfo, reason: z.string() }) }),
    ]),
  }),
  'auth-result': z.object({ sid, success: z.boolean(), message: z.string().optional(), credentialsRejected: z.boolean().optional() }),
  'exec-data': z.object({ sid, message: z.object({ type: z.enum(['stdout', 'stderr']), data: z.string() }), bytes: z.number().int().min(0) }),
  'exec-exit': z.object({
    sid,
    message: z.object({ code: z.number().int().nullable(), signal: z.string().nullable() }),
  }),
  ssherror: z.object({ sid, message: z.string() }),
  ui: z.object({ sid, update: z.object({ element: z.enum(['footer', 'status', 'header']), value: z.string() }) }),
  closed: z.object({
    sid,
    reason: z.string(),
    exitCode: z.number().int().optional(),
    signal: z.string().optional(),
  }),
  attached: z.object({ sid, offset: z.number().int().min(0), inputOffset: z.number().int().min(0), inputTaken: z.number().int().min(0) }),
  'attach-failed': z.object({ sid, reason: z.enum(['offset-gone', 'forbidden']), message: z.string() }),
  detached: z.object({ sid, reason: z.literal('taken-over') }),
} satisfies Record<Exclude<BusMessage['type'], 'input' | 'output'>, z.ZodType>;
