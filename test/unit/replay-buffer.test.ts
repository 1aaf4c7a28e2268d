import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../services/ssh-worker/replay-buffer.js';

describe('replay buffer', () => {
  it('returns output from any offset it still holds', () => {
    const buffer = new ReplayBuffer(10);
    buffer.append(Buffer.from('abc'));
    buffer.append(Buffer.from('def'));
    expect(buffer.since(0)?.toString()).toBe('abcdef');
    expect(buffer.since(4)?.toString()).toBe('ef');
    expect(buffer.since(6)?.toString()).toBe('');
    expect(buffer.since(7)).toBeNull();
  });

  it('keeps at least its capacity, drops the oldest blocks beyond, and refuses offsets before them', () => {
    const capacity = 100_000;
    const buffer = new ReplayBuffer(capacity);
    const all = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    for (let at = 0; at < all.length; at += 777) buffer.append(all.subarray(at, at + 777));
    expect(buffer.endOffset).toBe(all.length);
    expect(buffer.endOffset - buffer.firstOffset).toBeGreaterThanOrEqual(capacity);
    expect(buffer.footprint).toBeLessThanOrEqual(capacity + 2 * 64 * 1024);
    expect(buffer.since(buffer.firstOffset - 1)).toBeNull();
    expect(buffer.since(all.length - capacity)!.equals(all.subarray(all.length - capacity))).toBe(true);
  });

  it('holds copies, so one-byte slices of large buffers do not keep their parents', () => {
    const buffer = new ReplayBuffer(2 * 1024 * 1024);
    for (let i = 0; i < 10_000; i++) {
      const packet = Buffer.alloc(32 * 1024, i % 256);
      buffer.append(packet.subarray(100, 101));
    }
    // 10,000 bytes held in a few small blocks, not 10,000 packets of 32 KiB.
    expect(buffer.footprint).toBeLessThan(64 * 1024);
    expect(buffer.since(0)!.length).toBe(10_000);
    expect(buffer.since(9_999)![0]).toBe(9_999 % 256);
  });
});
