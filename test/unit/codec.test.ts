import { describe, expect, it } from 'vitest';
import { BusDecodeError, decodeEnvelope, encodeEnvelope } from '../../shared/bus/codec.js';
import type { BusMessage } from '../../shared/bus/messages.js';

/** What XREAD hands back: every field as a Buffer. */
const asRead = (fields: Array<string | Buffer>) => fields.map((f) => (Buffer.isBuffer(f) ? f : Buffer.from(f)));

const messages: BusMessage[] = [
  { type: 'output', sid: 's1', offset: 123456789, data: Buffer.from([0, 255, 10, 13, 0x1b]) },
  { type: 'output', sid: 's1', offset: 7, inputOffset: 3, data: Buffer.from('echo') },
  { type: 'input', sid: 's1', offset: 77, data: Buffer.from('ls -l\r', 'utf8') },
  // From a gateway of an earlier release: no offset.
  { type: 'input', sid: 's1', data: Buffer.from('pwd\r', 'utf8') },
  { type: 'input-sync', sid: 's1', offset: 70 },
  { type: 'terminal', sid: 's1', cols: 80, rows: 24 },
  { type: 'ack', sid: 's1', offset: 42 },
  { type: 'prompt-response', sid: 's1', promptId: 'p', sealedAnswers: null },
  { type: 'claimed', sid: 's1', worker: 'worker:w-1', fence: 9, proof: 'p' },
  { type: 'attach', sid: 's1', offset: 3, tokenHash: 'h', issuedAt: 1_800_000_000_000, nonce: 'n', proof: 'p' },
  { type: 'exec-data', sid: 's1', message: { type: 'stdout', data: 'x' }, bytes: 3 },
  { type: 'exec-ack', sid: 's1', bytes: 3 },
  { type: 'input-ack', sid: 's1', offset: 5 },
  { type: 'auth-result', sid: 's1', success: false, message: 'Authentication failed', credentialsRejected: true },
  { type: 'closed', sid: 's1', reason: 'shell closed', exitCode: 0 },
  { type: 'exec-exit', sid: 's1', message: { code: null, signal: 'TIMEOUT' } },
  { type: 'hostkey-verify', sid: 's1', request: { host: 'h', port: 22, algorithm: 'ssh-ed25519', fingerprint: 'SHA256:x', key: 'AAAA' } },
  {
    type: 'hostkey-notice',
    sid: 's1',
    notice: {
      event: 'hostkey:mismatch',
      payload: { host: 'h', port: 22, algorithm: 'ssh-ed25519', fingerprint: 'SHA256:new', presentedFingerprint: 'SHA256:new', storedFingerprint: 'SHA256:old', source: 'server' },
    },
  },
  { type: 'hostkey-response', sid: 's1', action: 'accept' },
];

describe('bus codec', () => {
  it.each(messages.map((m) => [m.type, m] as const))('round-trips %s', (_type, message) => {
    const decoded = decodeEnvelope(asRead(encodeEnvelope({ from: 'gw:g-1', message })));
    expect(decoded).toEqual({ from: 'gw:g-1', message });
  });

  it('keeps terminal bytes raw on the wire', () => {
    const data = Buffer.from([0xff, 0x00, 0xfe]);
    const fields = encodeEnvelope({ from: 'worker:w', message: { type: 'output', sid: 's', offset: 0, data } });
    expect(fields.at(-1)).toBe(data);
  });

  it.each([
    ['an unknown version', ['v', '9', 't', 'ack', 'f', 'gw:g', 's', 's', 'b', '{}'], /version/],
    ['an unknown type', ['v', '1', 't', 'format-disk', 'f', 'gw:g', 's', 's', 'b', '{}'], /unknown bus message type/],
    ['a body that is not JSON', ['v', '1', 't', 'ack', 'f', 'gw:g', 's', 's', 'b', '{'], /not JSON/],
    ['a malformed body', ['v', '1', 't', 'ack', 'f', 'gw:g', 's', 's', 'b', '{"sid":"s","offset":-1}'], /malformed ack/],
    ['a missing field', ['v', '1', 't', 'ack', 'f', 'gw:g'], /lacks a required field/],
    ['an unknown sender', ['v', '1', 't', 'ack', 'f', 'evil', 's', 's', 'b', '{}'], /unknown sender/],
  ])('rejects %s', (_name, fields, message) => {
    expect(() => decodeEnvelope(asRead(fields))).toThrow(BusDecodeError);
    expect(() => decodeEnvelope(asRead(fields))).toThrow(message);
  });
});
