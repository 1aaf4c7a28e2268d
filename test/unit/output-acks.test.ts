import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { OutputAcks } from '../../services/gateway/output-acks.js';

function harness(lowWaterBytes = 4096) {
  const transport = new EventEmitter();
  const sent: number[] = [];
  const acks = new OutputAcks(lowWaterBytes, () => transport as unknown as { once(event: 'drain', listener: () => void): unknown }, (offset) => sent.push(offset));
  return { acks, transport, sent };
}

describe('output acknowledgements', () => {
  it('for a client that never acks, reports output once the WebSocket has written it', () => {
    const { acks, transport, sent } = harness();
    acks.emitted(600);
    expect(sent).toEqual([]); // below the step (low water / 4)
    acks.emitted(600);
    expect(sent).toEqual([]); // waiting for the transport to drain
    transport.emit('drain');
    expect(sent).toEqual([1200]);
  });

  it('reports nothing while the transport does not drain (a client that stopped reading)', () => {
    const { acks, sent } = harness();
    for (let i = 0; i < 100; i++) acks.emitted(1024);
    expect(sent).toEqual([]);
  });

  it("passes on a client's own acks in steps, and its last one in full", () => {
    const { acks, transport, sent } = harness();
    acks.emitted(3000);
    expect(acks.fromClient(500)).toBe(true);
    expect(sent).toEqual([]);
    expect(acks.fromClient(1100)).toBe(true);
    expect(sent).toEqual([1100]);
    expect(acks.fromClient(3000)).toBe(true);
    expect(sent).toEqual([1100, 3000]);
    transport.emit('drain'); // transport acks stop once the client acks itself
    expect(sent).toEqual([1100, 3000]);
  });

  it('refuses an ack for output never sent, and restarts at a resume offset', () => {
    const { acks, sent } = harness();
    acks.emitted(100);
    expect(acks.fromClient(101)).toBe(false);
    acks.restart(5000);
    acks.emitted(100);
    expect(acks.fromClient(5100)).toBe(true);
    expect(sent).toEqual([5100]);
  });
});
