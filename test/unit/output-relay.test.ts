/**
 * The relay's coalescing and flow-control rules, driven directly: the sink
 * records what would go on the bus and settles when the test says so.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { OutputRelay } from '../../services/ssh-worker/output-relay.js';

function harness(options = { highWaterBytes: 100, lowWaterBytes: 40, replayBytes: 1000, maxEntryBytes: 64 }) {
  const sent: Array<{ offset: number; data: string; settle: (delivered: boolean) => void }> = [];
  const source = { paused: false, pause() { this.paused = true; }, resume() { this.paused = false; } };
  const relay = new OutputRelay(
    { send: (offset, data) => new Promise<boolean>((settle) => sent.push({ offset, data: data.toString(), settle })) },
    source,
    options,
  );
  return { relay, sent, source };
}

describe('output relay', () => {
  it('sends the chunks of one event-loop turn as one entry with its offset', async () => {
    const { relay, sent } = harness();
    relay.push(Buffer.from('ab'));
    relay.push(Buffer.from('cd'));
    expect(sent).toHaveLength(0);
    await nextTurn();
    expect(sent.map(({ offset, data }) => ({ offset, data }))).toEqual([{ offset: 0, data: 'abcd' }]);
  });

  it('holds output while a send is in flight and sends it as one entry when it completes', async () => {
    const { relay, sent } = harness();
    relay.push(Buffer.from('a'));
    await nextTurn();
    relay.push(Buffer.from('b'));
    await nextTurn();
    relay.push(Buffer.from('c'));
    await nextTurn();
    expect(sent).toHaveLength(1);
    sent[0]!.settle(true);
    await nextTurn();
    expect(sent.map(({ offset, data }) => ({ offset, data }))).toEqual([{ offset: 0, data: 'a' }, { offset: 1, data: 'bc' }]);
  });

  it('lets entries grow for a moment during bulk output, but not after a quiet spell', async () => {
    const { relay, sent } = harness({ highWaterBytes: 1 << 20, lowWaterBytes: 1 << 18, replayBytes: 1 << 20, maxEntryBytes: 1 << 18 });
    relay.push(Buffer.alloc(16 * 1024, 'a'));
    await nextTurn();
    sent[0]!.settle(true);
    relay.push(Buffer.alloc(100, 'b'));
    await nextTurn();
    expect(sent).toHaveLength(1); // bulk: held for a couple of milliseconds
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(sent).toHaveLength(2);
    sent[1]!.settle(true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    relay.push(Buffer.from('x'));
    await nextTurn();
    expect(sent).toHaveLength(3); // quiet again: a keystroke's echo goes at once
  });

  it('sends at once when pending output reaches the entry size limit', () => {
    const { relay, sent } = harness();
    relay.push(Buffer.alloc(64, 'x'));
    expect(sent).toHaveLength(1);
  });

  it('pauses the source above the high-water mark and resumes at the low-water mark', async () => {
    const { relay, source, sent } = harness();
    relay.push(Buffer.alloc(60, 'x'));
    relay.push(Buffer.alloc(50, 'y'));
    expect(source.paused).toBe(true);
    relay.ack(60);
    expect(source.paused).toBe(true); // 50 unacknowledged > 40
    await nextTurn();
    sent.forEach((s) => s.settle(true));
    await nextTurn();
    relay.ack(110);
    expect(source.paused).toBe(false);
  });

  it('does not let an ack beyond what was sent pre-acknowledge later output', () => {
    const { relay, source } = harness();
    relay.push(Buffer.alloc(70, 'x'));
    relay.ack(10_000);
    relay.push(Buffer.alloc(101, 'y'));
    expect(source.paused).toBe(true);
  });

  it('re-sends output from an offset it still holds, and restarts the window there', async () => {
    const { relay, sent, source } = harness({ highWaterBytes: 100, lowWaterBytes: 40, replayBytes: 100, maxEntryBytes: 64 });
    // Enough output that the replay buffer (which keeps at least 100 bytes, in blocks) drops the oldest.
    relay.push(Buffer.alloc(5000, 'h'));
    relay.ack(5000);
    await nextTurn();
    relay.push(Buffer.alloc(60, 'x'));
    relay.push(Buffer.alloc(60, 'y'));
    relay.ack(5120);
    expect(relay.canResendFrom(2)).toBe('gone');
    expect(relay.canResendFrom(5121)).toBe('ahead');
    expect(relay.canResendFrom(5060)).toBe('ok');
    relay.resendFrom(5060);
    expect(sent.at(-1)).toMatchObject({ offset: 5060, data: 'y'.repeat(60) });
    expect(source.paused).toBe(false);
    relay.push(Buffer.alloc(50, 'z'));
    expect(source.paused).toBe(true); // 60 re-sent + 50 new > 100 unacknowledged since 5060
  });
});
