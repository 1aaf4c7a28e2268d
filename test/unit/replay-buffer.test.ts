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

  it('drops the oldest chunks past its capacity and refuses offsets before them', () => {
    const buffer = new ReplayBuffer(6);
    for (const chunk of ['abc', 'def', 'ghi']) buffer.append(Buffer.from(chunk));
    expect(buffer.since(2)).toBeNull();
    expect(buffer.since(3)?.toString()).toBe('defghi');
    expect(buffer.endOffset).toBe(9);
  });
});
