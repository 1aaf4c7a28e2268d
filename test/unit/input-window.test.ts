/**
 * The input window on both sides: the gateway's (how much it accepts and
 * when it asks the client to pause) and the worker's pipe (ordering, the
 * wait for the shell, and what it reports as taken).
 */
import { describe, expect, it } from 'vitest';
import { InputWindow } from '../../services/gateway/connection/input-window.js';
import { InputPipe } from '../../services/ssh-worker/input-pipe.js';

describe('gateway input window', () => {
  function harness(windowBytes = 1000) {
    const events: string[] = [];
    const window = new InputWindow(windowBytes, {
      paused: (offset) => events.push(`paused@${offset}`),
      resumed: (offset) => events.push(`resumed@${offset}`),
    });
    return { window, events };
  }

  it('asks for a pause at half the window, refuses beyond it, and lets input go on at a quarter', () => {
    const { window, events } = harness();
    expect(window.offer(400)).toBe(true);
    expect(events).toEqual([]);
    expect(window.offer(100)).toBe(true);
    expect(events).toEqual(['paused@500']);
    expect(window.offer(500)).toBe(true);
    expect(window.offer(1)).toBe(false);
    window.takenUpTo(600);
    expect(events).toEqual(['paused@500']);
    expect(window.offer(1)).toBe(true);
    window.takenUpTo(751);
    expect(events).toEqual(['paused@500', 'resumed@1001']);
  });

  it('never believes more was taken than was accepted', () => {
    const { window } = harness();
    window.offer(100);
    window.takenUpTo(5000);
    expect(window.backlog).toBe(0);
    expect(window.offer(1000)).toBe(true);
    expect(window.offer(1)).toBe(false);
  });

  it('restarts where a resumed session stands, backlog and all', () => {
    const { window, events } = harness();
    window.restart(10_000, 9_300);
    expect(window.backlog).toBe(700);
    expect(events).toEqual(['paused@10000']);
    expect(window.offer(301)).toBe(false);
  });
});

describe('worker input pipe', () => {
  function channel() {
    const writes: Array<{ data: string; done: () => void }> = [];
    return { writes, sink: { write: (data: Buffer, done: () => void) => void writes.push({ data: data.toString(), done }) } };
  }

  it('holds input that arrives before the shell and writes it first, in order', () => {
    const reports: number[] = [];
    const pipe = new InputPipe({ reportStepBytes: 100, maxBacklogBytes: 1000 }, (offset) => reports.push(offset));
    expect(pipe.offer(undefined, Buffer.from('ls'))).toBe('accepted');
    expect(pipe.offer(undefined, Buffer.from(' -l\r'))).toBe('accepted');
    const { writes, sink } = channel();
    pipe.attach(sink);
    pipe.offer(undefined, Buffer.from('pwd\r'));
    expect(writes.map((w) => w.data)).toEqual(['ls', ' -l\r', 'pwd\r']);
    expect(pipe.received).toBe(10);
  });

  it('reports what was taken in steps, and the clearing of a backlog at once', () => {
    const reports: number[] = [];
    const pipe = new InputPipe({ reportStepBytes: 100, maxBacklogBytes: 1000 }, (offset) => reports.push(offset));
    const { writes, sink } = channel();
    pipe.attach(sink);
    // Typing: taken at once, reported only every step.
    for (let i = 0; i < 60; i++) {
      pipe.offer(undefined, Buffer.from('ab'));
      writes.shift()!.done();
    }
    expect(reports).toEqual([100]);
    // A backlog builds (nothing taken), then clears.
    for (let i = 0; i < 5; i++) pipe.offer(undefined, Buffer.alloc(50));
    expect(pipe.backlog).toBe(250);
    for (const write of writes.splice(0)) write.done();
    expect(reports).toEqual([100, 220, 320, 370]);
  });

  it('drops input over its bound (counted, so offsets stay aligned), and refuses replayed credentials over it, outside the input offset', () => {
    const pipe = new InputPipe({ reportStepBytes: 100, maxBacklogBytes: 300 }, () => undefined);
    const { writes, sink } = channel();
    pipe.attach(sink);
    expect(pipe.offer(undefined, Buffer.alloc(250))).toBe('accepted');
    expect(pipe.offer(undefined, Buffer.alloc(51))).toBe('dropped');
    expect(pipe.received).toBe(301);
    expect(pipe.inject(Buffer.from('secret\n'))).toBe(true);
    expect(pipe.inject(Buffer.alloc(100))).toBe(false);
    expect(writes.map((w) => w.data.length)).toEqual([250, 7]);
    for (const write of writes.splice(0)) write.done();
    expect(pipe.backlog).toBe(0);
    expect(pipe.taken).toBe(301);
  });

  it('takes each input byte once by its offset: repeats are skipped, a gap is refused until filled', () => {
    const pipe = new InputPipe({ reportStepBytes: 100, maxBacklogBytes: 1000 }, () => undefined);
    const { writes, sink } = channel();
    pipe.attach(sink);
    expect(pipe.offer(0, Buffer.from('echo '))).toBe('accepted');
    // Redis replayed a command after a failover: the same bytes again.
    expect(pipe.offer(0, Buffer.from('echo '))).toBe('repeated');
    // Partly new: only the new part goes in.
    expect(pipe.offer(3, Buffer.from('o one'))).toBe('accepted');
    // Redis lost `; two` (offset 8): what comes after it waits for it.
    expect(pipe.offer(14, Buffer.from('\r'))).toBe('gap');
    expect(pipe.received).toBe(8);
    expect(pipe.offer(8, Buffer.from('; two\r'))).toBe('accepted');
    expect(writes.map((w) => w.data).join('')).toBe('echo one; two\r');
    expect(pipe.received).toBe(14);
  });
});
