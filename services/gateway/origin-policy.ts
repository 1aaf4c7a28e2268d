/**
 * WEBSSH2_HTTP_ORIGINS as WebSSH2 writes it: `host:port` entries, `*` for
 * either part (`*:*` allows any origin). Checked on the Socket.IO handshake,
 * because a WebSocket is not subject to CORS: without this check any web page
 * could open a terminal with the user's network position.
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  // Non-browser clients send no Origin; there is no page to forge it.
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowed.some((entry) => {
    const separator = entry.lastIndexOf(':');
    const host = separator < 0 ? entry : entry.slice(0, separator);
    const entryPort = separator < 0 ? '*' : entry.slice(separator + 1);
    return (host === '*' || host.toLowerCase() === url.hostname.toLowerCase()) && (entryPort === '*' || entryPort === port);
  });
}
