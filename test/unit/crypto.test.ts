import { describe, expect, it } from 'vitest';
import { ATTACH_PROOF_TTL_MS, OwnershipProofs } from '../../shared/crypto/ownership-proof.js';
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
    const stored = hasher.hash('sid-1', token);
    expect(stored).not.toContain(token);
    expect(hasher.matches('sid-1', token, stored)).toBe(true);
    expect(hasher.matches('sid-1', newResumeToken(), stored)).toBe(false);
    expect(hasher.matches('sid-1', token, 'short')).toBe(false);
    // Bound to its session: the same token's hash does not open another one.
    expect(hasher.matches('sid-2', token, stored)).toBe(false);
  });
});

describe('ownership proofs', () => {
  const proofs = new OwnershipProofs(deriveKey(SECRET, 'ownership'));
  const other = new OwnershipProofs(deriveKey('another-cluster-secret-of-32-chars!!', 'ownership'));

  it('bind a session to its owner, and need the cluster secret to make', () => {
    const proof = proofs.owner('sid-1', 'worker:a');
    expect(proofs.ownerMatches('sid-1', 'worker:a', proof)).toBe(true);
    expect(proofs.ownerMatches('sid-1', 'worker:evil', proof)).toBe(false);
    expect(proofs.ownerMatches('sid-2', 'worker:a', proof)).toBe(false);
    expect(proofs.ownerMatches('sid-1', 'worker:a', other.owner('sid-1', 'worker:a'))).toBe(false);
    expect(proofs.ownerMatches('sid-1', 'worker:a', undefined)).toBe(false);
  });

  it('make attach claims that cannot be altered, and that go stale', () => {
    const now = 1_800_000_000_000;
    const { proof, ...claim } = proofs.attach({ sid: 'sid-1', gateway: 'gw:a', offset: 10, tokenHash: 'h' }, now);
    expect(proofs.checkAttach(claim, proof, now + 1000)).toBe('valid');
    expect(proofs.checkAttach({ ...claim, gateway: 'gw:evil' }, proof, now)).toBe('forged');
    expect(proofs.checkAttach({ ...claim, offset: 0 }, proof, now)).toBe('forged');
    expect(proofs.checkAttach(claim, other.attach(claim, now).proof, now)).toBe('forged');
    expect(proofs.checkAttach(claim, proof, now + ATTACH_PROOF_TTL_MS + 1)).toBe('stale');
    expect(proofs.attach(claim, now).nonce).not.toBe(claim.nonce);
  });
});
