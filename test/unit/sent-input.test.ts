import { describe, expect, it } from 'vitest';
import { SentInput } from '../../services/gateway/connection/sent-input.js';

describe('input the gateway keeps until the worker has it', () => {
  it('gives back what was sent after an offset, and forgets what the worker has', () => {
    const sent = new SentInput();
    sent.sent(Buffer.from('echo '));
    sent.sent(Buffer.from('one\r'));
    expect(sent.end).toBe(9);
    expect(sent.since(5)?.toString()).toBe('one\r');
    // Asking from 5 also says the worker has everything before it.
    expect(sent.kept).toBe(4);
    expect(sent.since(7)?.toString()).toBe('e\r');
    sent.received(9);
    expect(sent.kept).toBe(0);
    expect(sent.since(9)).toBeUndefined();
  });

  it("keeps its own copy of a keystroke, not a slice of Node's shared pool", () => {
    const sent = new SentInput();
    const keystroke = Buffer.from('x');
    expect(keystroke.buffer.byteLength).toBeGreaterThan(1);
    sent.sent(keystroke);
    const kept = sent.since(0)!;
    expect(kept.toString()).toBe('x');
    expect(kept.buffer.byteLength).toBe(1);
  });

  it('starts a resumed session where its worker stands, keeping nothing', () => {
    const sent = new SentInput();
    sent.sent(Buffer.from('old'));
    sent.restart(100);
    expect(sent.kept).toBe(0);
    sent.sent(Buffer.from('new'));
    expect(sent.since(100)?.toString()).toBe('new');
    // An offset before what is kept cannot be served (the worker had it already).
    expect(sent.since(50)).toBeUndefined();
  });
});
