/** The all-in-one process's trust store: a Map with the Redis store's rules. Nothing survives the process. */
import type { HostKey } from './host-key.js';
import { HOST_KEY_TYPES } from './host-key.js';
import { trustKeyOf, type HostKeyStore, type KnownHost } from './host-key-store.js';

export class MemoryHostKeyStore implements HostKeyStore {
  private readonly keys = new Map<string, string>();

  constructor(private readonly maxEntries = Number.POSITIVE_INFINITY) {}

  async trustedKeys(host: string, port: number): Promise<HostKey[]> {
    return HOST_KEY_TYPES.flatMap((type) => {
      const base64 = this.keys.get(trustKeyOf(host, port, type));
      return base64 === undefined ? [] : [{ type, base64 }];
    });
  }

  async trustIfUnknown(host: string, port: number, key: HostKey): Promise<HostKey | 'full'> {
    const name = trustKeyOf(host, port, key.type);
    if (!this.keys.has(name)) {
      if (this.keys.size >= this.maxEntries) return 'full';
      this.keys.set(name, key.base64);
    }
    return { type: key.type, base64: this.keys.get(name)! };
  }

  async trust(entries: readonly KnownHost[]): Promise<void> {
    for (const { host, port, key } of entries) this.keys.set(trustKeyOf(host, port, key.type), key.base64);
  }
}
