/**
 * What a Redis port says to a client that brings no password (or no TLS):
 * the first reply line to a PING on a raw connection, or why there was none.
 * The security suites use it to show a node refuses such clients.
 */
import type { Socket } from 'node:net';

export function firstReply(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.setTimeout(2_000, () => resolve('timeout'));
    socket.once('data', (data) => resolve(data.toString('latin1').split('\r\n')[0]!));
    socket.once('error', (error) => resolve(`error: ${error.message}`));
    socket.once('close', () => resolve('closed'));
    socket.write('PING\r\n');
  });
}
