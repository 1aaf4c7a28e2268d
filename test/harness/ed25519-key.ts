import ssh2 from 'ssh2';

const GENERATION_ATTEMPTS = 20;

/**
 * ssh2's generateKeyPairSync('ed25519') strips leading zero bytes from the public key,
 * so about 1 in 256 keys is malformed and rejected by ssh2 itself (mscdex/ssh2#1390,
 * #1513). Regenerate until both halves parse.
 */
export function generateEd25519KeyPair(): { private: string; public: string } {
  for (let attempt = 1; attempt <= GENERATION_ATTEMPTS; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    const parses = [pair.private, pair.public].every((key) => !(ssh2.utils.parseKey(key) instanceof Error));
    if (parses) return pair;
  }
  throw new Error(`ssh2 produced ${GENERATION_ATTEMPTS} unparsable ed25519 key pairs in a row`);
}
