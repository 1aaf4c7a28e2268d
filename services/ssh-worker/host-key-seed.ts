/**
 * Seeds the trust store from the operator's known_hosts file
 * (FLEET_SSH_KNOWN_HOSTS) when a worker starts. Every worker of a cluster
 * does it; the file's keys replace stored ones of the same host, port and
 * type, so seeding is idempotent and an edited file wins at the next start.
 * Lines that cannot be used (hashed names, patterns, markers, unsupported
 * key types) are logged and skipped.
 */
import { readFile } from 'node:fs/promises';
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
  await store.trust(entries);
  log.info({ event: 'host-keys-seeded', file, keys: entries.length, skipped: skipped.length }, 'trusted host keys seeded from known_hosts');
}
