/**
 * What a gateway hands to the placement queue when a browser asks for a
 * session: where to connect and as whom. Secrets travel only inside
 * `sealedCredentials` (see crypto/sealed-box.ts), bound to the session id.
 */
import { z } from 'zod';
import { gatewayAddress } from '../bus/messages.js';

export const sessionJobSchema = z.object({
  sid: z.string().min(1).max(128),
  /** The gateway inbox to report to. */
  gateway: gatewayAddress,
  username: z.string(),
  host: z.string(),
  port: z.number().int().min(1).max(65_535),
  term: z.string(),
  cols: z.number().int().min(1),
  rows: z.number().int().min(1),
  forwardAllPrompts: z.boolean(),
  sealedCredentials: z.string(),
  /** The resume token's keyed hash (not a secret), for re-registering the session. */
  tokenHash: z.string(),
  /** Epoch ms at which the gateway queued the job. */
  enqueuedAt: z.number().int(),
  /** Epoch ms after which no worker should start this session: the gateway has given up. */
  deadline: z.number().int(),
});
export type SessionJob = z.infer<typeof sessionJobSchema>;

/** What `sealedCredentials` opens to. */
export const credentialsSchema = z.object({
  password: z.string().optional(),
  privateKey: z.string().optional(),
  passphrase: z.string().optional(),
});
export type Credentials = z.infer<typeof credentialsSchema>;
