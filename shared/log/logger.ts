/**
 * pino JSON logs for every role. Code never puts secrets in log objects; the
 * redaction list is the safety net for the day someone does, so it covers
 * every secret-bearing field name at the top level and one level down.
 */
import { pino, type Logger } from 'pino';

const SECRET_FIELDS = [
  'password',
  'passphrase',
  'privateKey',
  'resumeToken',
  'token',
  'secret',
  'answers',
  'responses',
  'inputs',
  'credentials',
  'sealedCredentials',
  'redisUrl',
  'redisPassword',
  'redisSentinelPassword',
];

export const REDACTED_PATHS = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]);

export type { Logger };

export function createLogger(options: { role: string; instanceId: string; level: string }): Logger {
  return pino({
    level: options.level,
    base: { role: options.role, instance: options.instanceId },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
