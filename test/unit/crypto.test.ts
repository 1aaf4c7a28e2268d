import { describe, expect, it } from 'vitest';
import { newResumeToken, ResumeTokenHasher } from '../../shared/crypto/resume-token.js';
import { deriveKey, SealedBox } from '../../shared/crypto/sealed-box.js';

const SECRET = 'a-cluster-secret-of-sufficient-length!!';

describe('sealed box', () => {
  const box = new SealedBox(deriveKey(SECRET, 'credentials'));

  it('opens what it sealed, for the same associated data', () => {
    const sealed = box.seal('{"password":"hunter2"}', 'sid-1');
    expect(sealed).not.toContain('hunter2');
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('hunter2');
    expect(box.open(sealed, 'sid-1')).toBe('{"password":"hunter2"}');
  });

  it('refuses another session, a tampered blob, and another key', () => {
    const sealed = box.seal('secret', 'sid-1');
    expect(() => box.open(sealed, 'sid-2')).toThrow();
    const raw = Buffer.from(sealed, 'base64url');
    raw[raw.length - 1]! ^= 1;
    expect(() => box.open(raw.toString('base64url'), 'sid-1')).toThrow();
    expect(() => new SealedBox(deriveKey('another-secret-of-sufficient-length!!', 'credentials')).open(sealed, 'sid-1')).toThrow();
    expect(() => new SealedBox(deriveKey(SECRET, 'other-purpose')).open(sealed, 'sid-1')).toThrow();
  });

  it('uses a fresh IV every time', () => {
    expect(box.seal('same', 'sid')).not.toBe(box.seal('same', 'sid'));
  });
});

describe('resume tokens', () => {
  it('are 256 random bits, stored only as a keyed hash that matches in constant time', () => {
    const token = newResumeToken();
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(newResumeToken()).not.toBe(token);
    const hasher = new ResumeTokenHasher(deriveKey(SECRET, 'resume-token'));
    const stored = hasher.hash(token);
    expect(stored).not.toContain(token);
    expect(hasher.matches(token, stored)).toBe(true);
    expect(hasher.matches(newResumeToken(), stored)).toBe(false);
    expect(hasher.matches(token, 'short')).toBe(false);
  });
});
