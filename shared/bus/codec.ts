/**
 * Wire format of a bus message as the field list of one Redis stream entry:
 *
 *   v  format version      t  message type      f  sender's inbox
 *   s  session id          o  byte offset (binary types only; input from earlier
 *                                               releases has none)
 *   i  input offset (output only: the input the session had received)
 *   b  body: raw bytes for `input`/`output`, JSON for everything else
 *
 * Field names are one letter because terminal output is the hot path and
 * every entry carries them.
 */
import { busMessageSchemas, INBOX_ADDRESS_PATTERN, type BusMessage, type InboxAddress } from './messages.js';

export const BUS_FORMAT_VERSION = '1';

export interface Envelope {
  from: InboxAddress;
  message: BusMessage;
  /** Epoch ms at which the message entered the bus (Redis's clock for stream entries). */
  sentAt?: number;
}

export function encodeEnvelope({ from, message }: Envelope): Array<string | Buffer> {
  if (message.type === 'output') {
    const inputOffset = message.inputOffset === undefined ? [] : ['i', String(message.inputOffset)];
    return ['v', BUS_FORMAT_VERSION, 't', message.type, 'f', from, 's', message.sid, 'o', String(message.offset), ...inputOffset, 'b', message.data];
  }
  if (message.type === 'input') {
    const offset = message.offset === undefined ? [] : ['o', String(message.offset)];
    return ['v', BUS_FORMAT_VERSION, 't', message.type, 'f', from, 's', message.sid, ...offset, 'b', message.data];
  }
  return ['v', BUS_FORMAT_VERSION, 't', message.type, 'f', from, 's', message.sid, 'b', JSON.stringify(message)];
}

export class BusDecodeError extends Error {
  override readonly name = 'BusDecodeError';
}

/** Decodes the flat [name, value, name, value, ...] list that XREAD returns; `sentAt` is the entry id's time. */
export function decodeEnvelope(fields: Buffer[], sentAt?: number): Envelope {
  let version: string | undefined;
  let type: string | undefined;
  let from: string | undefined;
  let sid: string | undefined;
  let offset: string | undefined;
  let inputOffset: string | undefined;
  let body: Buffer | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    if (name.length !== 1) continue;
    switch (name[0]) {
      case 0x76 /* v */: version = value.toString(); break;
      case 0x74 /* t */: type = value.toString(); break;
      case 0x66 /* f */: from = value.toString(); break;
      case 0x73 /* s */: sid = value.toString(); break;
      case 0x6f /* o */: offset = value.toString(); break;
      case 0x69 /* i */: inputOffset = value.toString(); break;
      case 0x62 /* b */: body = value; break;
    }
  }
  if (version !== BUS_FORMAT_VERSION) throw new BusDecodeError(`unsupported bus format version ${String(version)}`);
  if (!type || !from || !sid || !body) throw new BusDecodeError('bus entry lacks a required field');
  if (!INBOX_ADDRESS_PATTERN.test(from)) throw new BusDecodeError(`bus entry from an unknown sender ${from}`);
  const message = decodeMessage(type, sid, offset, inputOffset, body);
  return sentAt === undefined ? { from: from as InboxAddress, message } : { from: from as InboxAddress, message, sentAt };
}

/**
 * The two binary types are the hot path and have nothing in them for a
 * schema to check beyond what is checked here; every other type is parsed
 * by its schema in messages.ts.
 */
function decodeMessage(type: string, sid: string, offset: string | undefined, inputOffset: string | undefined, body: Buffer): BusMessage {
  if (type === 'input') return offset === undefined ? { type: 'input', sid, data: body } : { type: 'input', sid, offset: byteOffset(type, offset), data: body };
  if (type === 'output') {
    return inputOffset === undefined
      ? { type: 'output', sid, offset: byteOffset(type, offset), data: body }
      : { type: 'output', sid, offset: byteOffset(type, offset), inputOffset: byteOffset(type, inputOffset), data: body };
  }
  const schema = busMessageSchemas.get(type);
  if (!schema) throw new BusDecodeError(`unknown bus message type ${type}`);
  let json: unknown;
  try {
    json = JSON.parse(body.toString());
  } catch {
    throw new BusDecodeError(`${type} message body is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new BusDecodeError(`malformed ${type} message: ${parsed.error.message}`);
  return parsed.data;
}

function byteOffset(type: string, text: string | undefined): number {
  const offset = Number(text);
  if (text === undefined || !Number.isSafeInteger(offset) || offset < 0) throw new BusDecodeError(`${type} entry has a bad offset`);
  return offset;
}
