import { describe, expect, it } from 'vitest';
import { OutputAcks, type AckMessage } from '../../services/gateway/connection/output-acks.js';

function harness(lowWaterBytes = 4096) {
  let emitted = 0;
  const sent: AckMessage[] = [];
  const acks = new OutputAcks(lowWaterBytes, () => emitted, (ack) => sent.push(ack));
  return { acks, sent, emit: (bytes: number) => (emitted += bytes) };
}

describe('output acknowledgements', () => {
  it('for a client that never acks, reports output in steps once the socket has written it', () => {
    const { acks, sent, emit } = harness();
    emit(1200);
    acks.written({ output: 600, exec: 0 });
    expect(sent).toEqual([]); // below the step (low water / 4)
    acks.written({ output: 1200, exec: 0 });
    expect(sent).toEqual([{ type: 'ack', offset: 1200 }]);
  });

  it('never passes on more than the socket has written, however much the client claims', () => {
    const { acks, sent, emit } = harness();
    emit(100_000);
    acks.written({ output: 2048, exec: 0 });
    sent.length = 0;
    // A client that stopped reading acknowledges everything it was "sent".
    expect(acks.fromClient(100_000)).toBe(true);
    expect(sent).toEqual([]);
    acks.written({ output: 50_000, exec: 0 });
    expect(sent).toEqual([{ type: 'ack', offset: 50_000 }]);
  });

  it("passes on a client's own acks in whole steps, even once it has caught up", () => {
    const { acks, sent, emit } = harness();
    emit(3000);
    expect(acks.fromClient(0)).toBe(true);
    acks.written({ output: 3000, exec: 0 });
    expect(acks.fromClient(500)).toBe(true);
    expect(acks.fromClient(900)).toBe(true);
    expect(sent).toEqual([]);
    expect(acks.fromClient(1100)).toBe(true);
    expect(sent).toEqual([{ type: 'ack', offset: 1100 }]);
    expect(acks.fromClient(3000)).toBe(true);
    expect(sent).toEqual([{ type: 'ack', offset: 1100 }, { type: 'ack', offset: 3000 }]);
    // A keystroke's echo, rendered at once: less than a step, so no message to the worker.
    emit(1);
    acks.written({ output: 3001, exec: 0 });
    expect(acks.fromClient(3001)).toBe(true);
    expect(sent).toEqual([{ type: 'ack', offset: 1100 }, { type: 'ack', offset: 3000 }]);
  });

  it('holds a client that renders slower than the socket writes to what it has rendered', () => {
    const { acks, sent, emit } = harness();
    emit(10_000);
    acks.fromClient(0);
    acks.written({ output: 10_000, exec: 0 });
    expect(sent).toEqual([]);
    acks.fromClient(2000);
    expect(sent).toEqual([{ type: 'ack', offset: 2000 }]);
  });

  it('refuses an ack for output never sent, and restarts at a resume offset', () => {
    const { acks, sent, emit } = harness();
    emit(100);
    expect(acks.fromClient(101)).toBe(false);
    acks.restart(5000);
    emit(6900);
    // Steps count from the resume offset: 800 bytes past it is less than one.
    expect(acks.fromClient(5800)).toBe(true);
    acks.written({ output: 7000, exec: 0 });
    expect(sent).toEqual([]);
    expect(acks.fromClient(7000)).toBe(true);
    expect(sent).toEqual([{ type: 'ack', offset: 7000 }]);
  });

  it('reports exec output written as byte counts in steps, and forgets what a previous socket never wrote', () => {
    const { acks, sent } = harness();
    acks.written({ output: 0, exec: 700 });
    expect(sent).toEqual([]);
    acks.written({ output: 0, exec: 1500 });
    expect(sent).toEqual([{ type: 'exec-ack', bytes: 1500 }]);
    acks.written({ output: 0, exec: 2000 });
    acks.restart(0);
    acks.written({ output: 0, exec: 3100 });
    expect(sent).toEqual([{ type: 'exec-ack', bytes: 1500 }, { type: 'exec-ack', bytes: 1100 }]);
  });
});
