import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACTED_PATHS } from '../../shared/log/logger.js';

describe('log redaction', () => {
  it('censors secret-bearing fields at the top level and one level down', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
    const log = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
    log.info({ password: 'p1', credentials: { privateKey: 'k1' }, job: { sealedCredentials: 's1', passphrase: 'x1' }, resumeToken: 't1', user: 'alice' }, 'login');
    const line = lines.join('');
    for (const secret of ['p1', 'k1', 's1', 'x1', 't1']) expect(line).not.toContain(`"${secret}"`);
    expect(line).toContain('"user":"alice"');
  });
});
