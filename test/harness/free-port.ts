import { createServer } from 'node:net';

/**
 * Asks the OS for a currently unused TCP port. Another process can still take it
 * before the caller binds, so callers that spawn servers retry on bind failure.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error(`unexpected listen address ${String(address)}`);
  }
  return address.port;
}
