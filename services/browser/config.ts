/**
 * The page's configuration: the JSON (shared/protocol/page-config.ts) the
 * gateway writes into `<script type="application/json" id="webssh2-config">`.
 * Every field is optional here and anything malformed falls back to a
 * default, so a gateway of another version, or the page opened from a
 * static server, can never break it.
 */
import { SOCKET_IO_PATH } from '../../shared/protocol/events.js';
import type { PageConfig } from '../../shared/protocol/page-config.js';

/** PageConfig with its defaults applied. */
export interface EffectivePageConfig {
  socket: { url: string; path: string };
  ssh: { host: string | null; port: number; username: string | null; sshterm: string | null };
  header: { text: string | null; background: string | null };
  /** The gateway holds credentials from an HTTP login route and logs the socket in by itself. */
  autoConnect: boolean;
  /** `/ssh/host/<host>`: the page may not offer another host. */
  locked: { host: string; port: number } | null;
}

const DEFAULT_SSH_PORT = 22;

export function readPageConfig(document: Document, origin: string): EffectivePageConfig {
  const config = objectOr(parseJson(document.getElementById('webssh2-config')?.textContent ?? 'null'));
  const field = (key: keyof PageConfig) => config[key];
  const socket = objectOr(field('socket'));
  const ssh = objectOr(field('ssh'));
  const header = objectOr(field('header'));
  const lockedHost = text(field('lockedHost'));
  const port = tcpPort(ssh['port']) ?? DEFAULT_SSH_PORT;
  return {
    socket: { url: text(socket['url']) ?? origin, path: text(socket['path']) ?? SOCKET_IO_PATH },
    ssh: {
      host: text(ssh['host']),
      port,
      // Not in PageConfig today; WebSSH2 gateways have sent it, so it is taken when present.
      username: text(ssh['username']),
      sshterm: text(ssh['sshterm']),
    },
    header: { text: text(header['text']), background: text(header['background']) },
    autoConnect: field('autoConnect') === true,
    locked:
      field('connectionMode') === 'host-locked' && lockedHost
        ? { host: lockedHost, port: tcpPort(field('lockedPort')) ?? port }
        : null,
  };
}

export function tcpPort(value: unknown): number | undefined {
  const port = typeof value === 'string' && /^\d{1,5}$/.test(value.trim()) ? Number(value) : value;
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65_535 ? port : undefined;
}

function parseJson(source: string): unknown {
  try {
    return JSON.parse(source);
  } catch {
    return null;
  }
}

function objectOr(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A non-empty string, or null. */
function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}
