/**
 * One zod schema per server -> client payload that a worker produces and a
 * gateway relays: the worker builds it, the bus carries it as JSON, the
 * gateway checks it against the same schema and emits it unchanged. The
 * types in events.ts are inferred from these, so the browser's shape and the
 * bus's shape cannot drift apart.
 *
 * Shapes are WebSSH2's (its README, "Socket Protocol Reference") so its stock
 * client renders our prompts and host-key warnings.
 */
import { z } from 'zod';

export const uiElement = z.enum(['footer', 'status', 'header']);

export const updateUiMessage = z.object({ element: uiElement, value: z.string() });

export const execDataMessage = z.object({ type: z.enum(['stdout', 'stderr']), data: z.string() });

export const execExitMessage = z.object({ code: z.number().int().nullable(), signal: z.string().nullable() });

/** One field of a prompt dialog (WebSSH2 5.x's generic prompt shape). */
export const promptField = z.object({
  id: z.string(),
  label: z.string(),
  type: z.enum(['text', 'password']),
  required: z.boolean(),
});

export const promptButton = z.object({
  action: z.string(),
  label: z.string(),
  variant: z.enum(['primary', 'secondary']).optional(),
});

/**
 * One keyboard-interactive round, shown to the user as a dialog. The answer
 * comes back as `prompt-response {id, action:'submit', inputs:{<field id>: answer}}`.
 */
export const promptMessage = z.object({
  id: z.string(),
  type: z.literal('input'),
  title: z.string(),
  message: z.string(),
  inputs: z.array(promptField),
  buttons: z.array(promptButton),
  autoFocus: z.boolean(),
});

/** `fingerprint` is OpenSSH's `SHA256:...`; `algorithm` is the key's type. */
export const hostKeyInfo = z.object({
  host: z.string(),
  port: z.number().int(),
  algorithm: z.string(),
  fingerprint: z.string(),
});

/** An unknown key: accept or reject it with `hostkey:verify-response`. */
export const hostKeyVerifyRequest = hostKeyInfo.extend({
  /** The key blob, base64 (what known_hosts holds). */
  key: z.string(),
});

export const hostKeyVerified = hostKeyInfo.extend({
  /** `server`: the cluster's trust store knew the key; `client`: the user accepted it. */
  source: z.enum(['server', 'client']),
});

/** The key differs from the trusted one: the connection is refused. */
export const hostKeyMismatch = hostKeyInfo.extend({
  /** Equal to `fingerprint` (the stock client reads that name, WebSSH2's server sends this one). */
  presentedFingerprint: z.string(),
  storedFingerprint: z.string(),
  source: z.literal('server'),
});

/** An unknown key refused by policy (`unknownKeyAction: reject`). */
export const hostKeyRejected = hostKeyInfo.extend({ reason: z.string() });

/** What the worker tells the client about the host key, as the browser event it becomes. */
export const hostKeyNotice = z.discriminatedUnion('event', [
  z.object({ event: z.literal('hostkey:verified'), payload: hostKeyVerified }),
  z.object({ event: z.literal('hostkey:mismatch'), payload: hostKeyMismatch }),
  /** An unknown key let through (`unknownKeyAction: alert`). */
  z.object({ event: z.literal('hostkey:alert'), payload: hostKeyInfo }),
  z.object({ event: z.literal('hostkey:rejected'), payload: hostKeyRejected }),
]);

/** Why `session:resume` failed (session-extension.md). */
export const resumeFailureReason = z.enum(['unknown', 'expired', 'forbidden', 'offset-gone', 'busy']);

/** Why the socket no longer carries its session (`session:detached`). */
export const detachReason = z.enum(['taken-over', 'gateway-shutdown']);

export type ResumeFailureReason = z.infer<typeof resumeFailureReason>;
export type DetachReason = z.infer<typeof detachReason>;
export type UiElement = z.infer<typeof uiElement>;
export type UpdateUiMessage = z.infer<typeof updateUiMessage>;
export type ExecDataMessage = z.infer<typeof execDataMessage>;
export type ExecExitMessage = z.infer<typeof execExitMessage>;
export type PromptField = z.infer<typeof promptField>;
export type PromptButton = z.infer<typeof promptButton>;
export type PromptMessage = z.infer<typeof promptMessage>;
export type HostKeyInfo = z.infer<typeof hostKeyInfo>;
export type HostKeyVerifyRequest = z.infer<typeof hostKeyVerifyRequest>;
export type HostKeyVerified = z.infer<typeof hostKeyVerified>;
export type HostKeyMismatch = z.infer<typeof hostKeyMismatch>;
export type HostKeyRejected = z.infer<typeof hostKeyRejected>;
export type HostKeyNotice = z.infer<typeof hostKeyNotice>;
