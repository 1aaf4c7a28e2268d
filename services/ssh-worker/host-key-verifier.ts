/**
 * Host key verification for one login. The keys the cluster trusts for the
 * target are read once, before connecting, so ssh2 can ask the server for a
 * key of a type we know (as OpenSSH orders its host key algorithms). The key
 * the server then presents is judged: trusted and equal, the login goes on;
 * trusted and different, it is refused; unknown, the operator's
 * `unknownKeyAction` decides: `reject` refuses, `alert` goes on and tells the
 * user, `prompt` asks the user and, on accept, trusts the key for the whole
 * cluster (trust on first use).
 *
 * A server that presents a key of a type we hold no key for, while we hold
 * one of another type, counts as changed: otherwise a man in the middle could
 * pass by offering a different key type.
 */
import type { HostKeyNotice } from '../../shared/protocol/outbound.js';
import type { HostKeyStore } from '../../shared/host-key-store/host-key-store.js';
import { fingerprintOf, HOST_KEY_ALGORITHMS, hostKeyOf, sameKey, type HostKey } from '../../shared/host-key-store/host-key.js';
import type { Config } from '../../shared/config/schema.js';
import { canonicalAddress, canonicalHostName } from '../../shared/net/addresses.js';
import type { HostKeyInfo, HostKeyVerifyRequest } from '../../shared/protocol/events.js';
import type { HostKeyVerifyResponse } from '../../shared/protocol/inbound.js';
import type { LoginFailureReason } from './connect-errors.js';

export type HostKeyAnswer = HostKeyVerifyResponse['action'] | 'timeout';

/** How the verifier reaches the user (through the session's gateway). */
export interface HostKeyConversation {
  notify(notice: HostKeyNotice): void;
  /** Asks about an unknown key; resolves with the answer, or `timeout` after the prompt timeout. */
  ask(request: HostKeyVerifyRequest): Promise<HostKeyAnswer>;
}

export type HostKeyVerdict = { accepted: true } | { accepted: false; message: string; reason: LoginFailureReason };

export interface HostKeyPolicy {
  unknownKeyAction: Config['ssh']['hostKeyVerification']['unknownKeyAction'];
  promptTimeoutMs: number;
  /** The store is full: a key the user accepted holds for this login only (and is asked about again next time). */
  onStoreFull?: () => void;
}

/** ssh2's default host key algorithms, in its order; ssh-dss only when a trusted key needs it. */
const DEFAULT_ALGORITHMS = Object.values(HOST_KEY_ALGORITHMS).flat().filter((algorithm) => algorithm !== 'ssh-dss');

/** A login's target: the host as the user named it, and the address it resolved to and is connected to. */
export interface VerifiedTarget {
  host: string;
  address: string;
  port: number;
}

export class HostKeyVerifier {
  /**
   * Reads what the store trusts for every name of the target: the host as
   * typed (a name, or an address in any spelling) and the address connected
   * to, both in their one canonical spelling. A key seeded for a name thus
   * holds when the host is reached by its address too, and where the two
   * disagree the key presented cannot match both: a mismatch, never a prompt.
   */
  static async forTarget(store: HostKeyStore, target: VerifiedTarget, policy: HostKeyPolicy): Promise<HostKeyVerifier> {
    const identities = [...new Set([canonicalHostName(target.host), canonicalAddress(target.address)])];
    const trusted = (await Promise.all(identities.map((identity) => store.trustedKeys(identity, target.port)))).flat();
    return new HostKeyVerifier(store, target, identities, policy, trusted);
  }

  private constructor(
    private readonly store: HostKeyStore,
    private readonly target: VerifiedTarget,
    private readonly identities: readonly string[],
    private readonly policy: HostKeyPolicy,
    /** Every key trusted under any of the target's identities (so possibly two of one type). */
    private readonly trusted: readonly HostKey[],
  ) {}

  /** ssh2's `algorithms.serverHostKey`: the trusted key types first; undefined keeps ssh2's defaults. */
  serverHostKeyAlgorithms(): string[] | undefined {
    if (this.trusted.length === 0) return undefined;
    const preferred = [...new Set(this.trusted.flatMap((key) => HOST_KEY_ALGORITHMS[key.type] ?? []))];
    return [...preferred, ...DEFAULT_ALGORITHMS.filter((algorithm) => !preferred.includes(algorithm))];
  }

  async verify(blob: Buffer, conversation: HostKeyConversation): Promise<HostKeyVerdict> {
    const where = `${this.target.host}:${this.target.port}`;
    const presented = hostKeyOf(blob);
    if (!presented) return { accepted: false, message: `The SSH server at ${where} presented a host key that cannot be read`, reason: 'handshake' };
    const info: HostKeyInfo = { host: this.target.host, port: this.target.port, algorithm: presented.type, fingerprint: fingerprintOf(presented) };

    const ofType = this.trusted.filter((key) => key.type === presented.type);
    const trusted = ofType.find((key) => !sameKey(key, presented)) ?? ofType[0] ?? this.trusted[0];
    if (trusted) {
      if (!sameKey(trusted, presented)) return this.changed(info, trusted, conversation);
      conversation.notify({ event: 'hostkey:verified', payload: { ...info, source: 'server' } });
      return { accepted: true };
    }

    switch (this.policy.unknownKeyAction) {
      case 'alert':
        conversation.notify({ event: 'hostkey:alert', payload: info });
        return { accepted: true };
      case 'reject':
        conversation.notify({
          event: 'hostkey:rejected',
          payload: { ...info, reason: `The host key of ${where} is not among the trusted keys, and unknown keys are refused` },
        });
        return { accepted: false, message: `Host key for ${where} is unknown (${info.fingerprint}): refusing to connect`, reason: 'host-key-unknown' };
      case 'prompt':
        return this.prompt(info, presented, conversation);
    }
  }

  private async prompt(info: HostKeyInfo, presented: HostKey, conversation: HostKeyConversation): Promise<HostKeyVerdict> {
    const where = `${this.target.host}:${this.target.port}`;
    const answer = await conversation.ask({ ...info, key: presented.base64 });
    if (answer === 'timeout') {
      const seconds = this.policy.promptTimeoutMs / 1000;
      return { accepted: false, message: `No answer to the host key prompt for ${where} within ${seconds} s: refusing to connect`, reason: 'prompt-timeout' };
    }
    if (answer === 'reject') {
      return { accepted: false, message: `Host key for ${where} (${info.fingerprint}) was not accepted: refusing to connect`, reason: 'host-key-rejected' };
    }
    // Trusted under every identity of the target. Another worker may have
    // trusted a different key meanwhile: the first one stored wins.
    for (const identity of this.identities) {
      const stored = await this.store.trustIfUnknown(identity, this.target.port, presented);
      if (stored === 'full') {
        this.policy.onStoreFull?.();
        break;
      }
      if (!sameKey(stored, presented)) return this.changed(info, stored, conversation);
    }
    conversation.notify({ event: 'hostkey:verified', payload: { ...info, source: 'client' } });
    return { accepted: true };
  }

  private changed(info: HostKeyInfo, trusted: HostKey, conversation: HostKeyConversation): HostKeyVerdict {
    const storedFingerprint = fingerprintOf(trusted);
    conversation.notify({
      event: 'hostkey:mismatch',
      payload: { ...info, presentedFingerprint: info.fingerprint, storedFingerprint, source: 'server' },
    });
    return {
      accepted: false,
      message: `Host key for ${info.host}:${info.port} has changed (expected ${storedFingerprint}, got ${info.fingerprint}): refusing to connect`,
      reason: 'host-key-changed',
    };
  }
}
