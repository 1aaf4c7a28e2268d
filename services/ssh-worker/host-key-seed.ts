/**
 * Seeds the trust store from the operator's known_hosts file
 * (FLEET_SSH_KNOWN_HOSTS) when a worker starts. Every worker of a cluster
 * does it; the file's keys replace stored ones of the same host, port and
 * type, so seeding is idempotent and an edited file wins at the next start.
 * Lines that cannot be used (hashed names, patterns, markers, unsupported
 * key types) are logged and skipped.
 *
 * A key listed for a name is also trusted for the addresses the name
 * resolves to now (unless the file lists the address itself): a user who
 * types the address reaches the same host and must meet the same key, not
 * a prompt that would let another key in. Hosts are stored in one spelling
 * each (shared/net/addresses.ts).
 */
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { canonicalAddress, canonicalHostName } from '../../shared/net/addresses.js';
import type { KnownHost } from '../../shared/host-key-store/host-key-store.js';
import type { Config } from '../../shared/config/schema.js';
import type { HostKeyStore } from '../../shared/host-key-store/host-key-store.js';
import { parseKnownHosts } from '../../shared/host-key-store/known-hosts.js';
import type { Logger } from '../../shared/log/logger.js';

/** Line numbers listed per skip reason in the log; the count says how many there were. */
const LINES_LOGGED = 20;

/**
 * An unreadable file stops the process as a bad setting does (exit 78): a
 * worker that silently trusted nothing would refuse or prompt for every host.
 */
export async function seedHostKeys(store: HostKeyStore, settings: Config['ssh']['hostKeyVerification'], log: Logger): Promise<void> {
  const file = settings.knownHostsFile;
  if (!settings.enabled || file === undefined) return;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    process.stderr.write(`webssh-fleet: FLEET_SSH_KNOWN_HOSTS: cannot read ${file}: ${(error as Error).message}\n`);
    process.exit(78);
  }
  const { entries, skipped } = parseKnownHosts(text);
  const linesByReason = new Map<string, number[]>();
  for (const { line, reason } of skipped) linesByReason.set(reason, [...(linesByReason.get(reason) ?? []), line]);
  for (const [reason, lines] of linesByReason) {
    log.warn({ file, reason, count: lines.length, lines: lines.slice(0, LINES_LOGGED) }, 'known_hosts lines skipped');
  }
  const named = entries.map((entry) => ({ ...entry, host: canonicalHostName(entry.host) }));
  const { byAddress, unresolved } = await addressesOf(named);
  await store.trust([...named, ...byAddress]);
  if (unresolved.length > 0) log.warn({ file, count: unresolved.length, names: unresolved.slice(0, LINES_LOGGED) }, 'known_hosts names that did not resolve: trusted by name only');
  log.info({ event: 'host-keys-seeded', file, keys: named.length, byAddress: byAddress.length, skipped: skipped.length }, 'trusted host keys seeded from known_hosts');
}

/** How long one name may take to resolve, and how many resolve at once. */
const LOOKUP_TIMEOUT_MS = 3_000;
const LOOKUPS_AT_ONCE = 16;

/** The entries a name's keys give its addresses, except where the file lists the address itself. */
async function addressesOf(entries: readonly KnownHost[]): Promise<{ byAddress: KnownHost[]; unresolved: string[] }> {
  const listed = new Set(entries.map(({ host, port, key }) => `${host}:${port}:${key.type}`));
  const names = [...new Set(entries.map((entry) => entry.host).filter((host) => isIP(host) === 0))];
  const resolved = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (let start = 0; start < names.length; start += LOOKUPS_AT_ONCE) {
    await Promise.all(
      names.slice(start, start + LOOKUPS_AT_ONCE).map(async (name) => {
        const addresses = await Promise.race([
          lookup(name, { all: true, verbatim: true }).then((found) => found.map((entry) => canonicalAddress(entry.address))),
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), LOOKUP_TIMEOUT_MS).unref()),
        ]).catch(() => undefined);
        if (addresses?.length) resolved.set(name, addresses);
        else unresolved.push(name);
      }),
    );
  }
  const byAddress = entries.flatMap(({ host, port, key }) =>
    (resolved.get(host) ?? []).filter((address) => !listed.has(`${address}:${port}:${key.type}`)).map((address) => ({ host: address, port, key })),
  );
  return { byAddress, unresolved };
}
