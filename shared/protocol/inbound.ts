/**
 * One zod schema per client -> server payload. Every Socket.IO handler in the
 * gateway starts from one of these parse results; nothing else reads raw
 * client input.
 *
 * Limits are generous for real use and small enough that one hostile socket
 * cannot make the gateway allocate much on its behalf.
 */
import { z } from 'zod';

import {
  MAX_COMMAND_LENGTH,
  MAX_HOST_LENGTH,
  MAX_INPUT_EVENT_LENGTH,
  MAX_PRIVATE_KEY_LENGTH,
  MAX_PROMPT_ANSWERS,
  MAX_SECRET_LENGTH,
  MAX_TERM_LENGTH,
  MAX_USERNAME_LENGTH,
  TERM_NAME_PATTERN,
} from './limits.js';

const dimension = z.number().int().min(1).max(10_000);
const tcpPort = z.number().int().min(1).max(65_535);

const termName = z
  .string()
  .min(1)
  .max(MAX_TERM_LENGTH)
  .regex(TERM_NAME_PATTERN, 'term may contain letters, digits and . _ + - only');

export const authenticatePayload = z
  .object({
    username: z.string().min(1).max(MAX_USERNAME_LENGTH),
    password: z.string().max(MAX_SECRET_LENGTH).optional(),
    privateKey: z.string().max(MAX_PRIVATE_KEY_LENGTH).optional(),
    passphrase: z.string().max(MAX_SECRET_LENGTH).optional(),
    host: z.string().min(1).max(MAX_HOST_LENGTH),
    port: z.union([tcpPort, z.string().regex(/^\d{1,5}$/).transform(Number).pipe(tcpPort)]).optional(),
    term: termName.optional(),
    cols: dimension.optional(),
    rows: dimension.optional(),
    forwardAllKeyboardInteractivePrompts: z.boolean().optional(),
  })
  .refine((p) => p.password !== undefined || p.privateKey !== undefined, {
    message: 'a password or a private key is required',
  });
export type AuthenticatePayload = z.infer<typeof authenticatePayload>;

export const terminalPayload = z.object({
  cols: dimension,
  rows: dimension,
  /** Accepted for WebSSH2 clients that send it; the server decides the term. */
  term: termName.optional(),
});
export type TerminalPayload = z.infer<typeof terminalPayload>;

export const resizePayload = z.object({ cols: dimension, rows: dimension });
export type ResizePayload = z.infer<typeof resizePayload>;

export const dataPayload = z.string().max(MAX_INPUT_EVENT_LENGTH);

export const controlPayload = z.enum(['replayCredentials', 'reauth']);
export type ControlAction = z.infer<typeof controlPayload>;

const promptAnswer = z.string().max(MAX_SECRET_LENGTH);

/**
 * The answer to one `prompt`. WebSSH2 5.x clients send
 * `{id, action, inputs: {<field id>: value}}`; simpler clients may send
 * `{id?, responses: [...]}` or a bare array. `action` other than `submit`
 * (e.g. `cancel`, `dismissed`, `timeout`) abandons the login.
 */
export const promptResponsePayload = z.union([
  z.object({
    id: z.string().min(1).max(128),
    action: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/),
    inputs: z.record(z.string().max(64), promptAnswer).optional(),
  }),
  z.object({ id: z.string().max(128).optional(), responses: z.array(promptAnswer).max(MAX_PROMPT_ANSWERS) }),
  z.array(promptAnswer).max(MAX_PROMPT_ANSWERS),
]);
export type PromptResponse = z.infer<typeof promptResponsePayload>;

export const execPayload = z.object({
  command: z.string().min(1).max(MAX_COMMAND_LENGTH),
  pty: z.boolean().optional(),
  term: termName.optional(),
  cols: dimension.optional(),
  rows: dimension.optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).max(128), z.string().max(4096)).optional(),
  timeoutMs: z.number().int().min(1).max(24 * 3600 * 1000).optional(),
});
export type ExecPayload = z.infer<typeof execPayload>;

/** session-extension.md: offsets are byte counts, so non-negative safe integers. */
const byteOffset = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const sessionAckPayload = z.object({ offset: byteOffset });

export const sessionResumePayload = z.object({
  sessionId: z.string().min(1).max(128),
  resumeToken: z.string().min(1).max(256),
  offset: byteOffset,
  inputOffset: byteOffset,
});
export type SessionResumePayload = z.infer<typeof sessionResumePayload>;

/**
 * The answer to `hostkey:verify`, in WebSSH2's words: `accept` (trust the
 * key), `trusted` (the client already trusted it; taken as accept) or
 * `reject`.
 */
export const hostKeyVerifyResponsePayload = z.object({ action: z.enum(['accept', 'trusted', 'reject']) });
export type HostKeyVerifyResponse = z.infer<typeof hostKeyVerifyResponsePayload>;

/*
 * WebSSH2's HTTP login routes (POST /ssh, POST /ssh/host/:host, and the
 * query of GET /ssh/host/:host). Field names are WebSSH2's; the private key
 * and passphrase are our addition.
 */

const portField = z.union([tcpPort, z.string().regex(/^\d{1,5}$/).transform(Number).pipe(tcpPort)]);
const headerText = z.string().max(100);
/** A CSS colour, as WebSSH2 validates it: no quotes, semicolons or `url(`. */
const headerBackground = z.string().regex(/^[a-zA-Z0-9#(),.\s-]{1,64}$/);

export const loginQuery = z.object({
  port: portField.optional(),
  sshterm: termName.optional(),
  header: headerText.optional(),
  headerBackground: headerBackground.optional(),
});
export type LoginQuery = z.infer<typeof loginQuery>;

export const loginForm = z.object({
  username: z.string().min(1).max(MAX_USERNAME_LENGTH).optional(),
  password: z.string().max(MAX_SECRET_LENGTH).optional(),
  privateKey: z.string().max(MAX_PRIVATE_KEY_LENGTH).optional(),
  passphrase: z.string().max(MAX_SECRET_LENGTH).optional(),
  host: z.string().min(1).max(MAX_HOST_LENGTH).optional(),
  port: portField.optional(),
  sshterm: termName.optional(),
  'header.name': headerText.optional(),
  'header.background': headerBackground.optional(),
});
export type LoginForm = z.infer<typeof loginForm>;
