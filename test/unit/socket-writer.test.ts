/**
 * The socket writer on a real Socket.IO server and client over loopback:
 * what it reports as written follows what the client's TCP socket takes,
 * and output held while the socket is busy goes as few large frames.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { SocketWriter, type Delivered } from '../../services/gateway/connection/socket-writer.js';
import { waitFor } from '../harness/wait-for.js';

interface Pair {
  server: ServerSocket;
  client: ClientSocket;
  received: Array<Buffer | string>;
  execReceived: Array<{ type: string; data: string }>;
  tcp: { pause(): void; resume(): void };
}

let http: HttpServer | undefined;
let ioServer: Server | undefined;
const clients: ClientSocket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await ioServer?.close();
});

async function connectedPair(): Promise<Pair> {
  http = createServer();
  ioServer = new Server(http, { transports: ['websocket'], perMessageDeflate: false });
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
  const serverSide = new Promise<ServerSocket>((resolve) => ioServer!.once('connection', resolve));
  const client = io(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'], forceNew: true, reconnection: false });
  clients.push(client);
  const received: Array<Buffer | string> = [];
  const execReceived: Array<{ type: string; data: string }> = [];
  client.on('data', (chunk: Buffer | string) => received.push(chunk));
  client.on('exec-data', (message: { type: string; data: string }) => execReceived.push(message));
  const server = await serverSide;
  await new Promise<void>((resolve) => (client.connected ? resolve() : client.once('connect', () => resolve())));
  const tcp = (client.io.engine.transport as unknown as { ws: { _socket: { pause(): void; resume(): void } } }).ws._socket;
  return { server, client, received, execReceived, tcp };
}

const byteLength = (chunks: Array<Buffer | string>) => chunks.reduce((sum, chunk) => sum + (typeof chunk === 'string' ? 0 : chunk.length), 0);

describe('socket writer', () => {
  it('reports output as written once the OS has it, and stops reporting while the client does not read', async () => {
    const { server, received, tcp } = await connectedPair();
    let written: Delivered = { output: 0, exec: 0 };
    const writer = new SocketWriter(server, (delivered) => (written = delivered));
    writer.output(Buffer.alloc(1000, 1));
    await waitFor(() => written.output === 1000, 'the first write to be reported');

    tcp.pause();
    const chunk = Buffer.alloc(64 * 1024, 2);
    // Far more than loopback's socket buffers can take.
    for (let i = 0; i < 1000; i++) writer.output(chunk);
    const total = 1000 + 1000 * chunk.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    // A batch counts once all of it is in the kernel: the one that is not stays unreported.
    expect(written.output).toBeLessThan(total);

    tcp.resume();
    await waitFor(() => written.output === total, 'everything to be written', 10_000);
    expect(writer.outputOffset).toBe(total);
    await waitFor(() => byteLength(received) === total, 'the client to receive everything', 10_000);
    // Held output went as a few merged frames, not a thousand packets.
    expect(received.length).toBeLessThan(100);
    writer.close();
  });

  it('merges held exec output of one stream and keeps the order of streams and events', async () => {
    const { server, client, received, execReceived, tcp } = await connectedPair();
    let written: Delivered = { output: 0, exec: 0 };
    const writer = new SocketWriter(server, (delivered) => (written = delivered));
    tcp.pause();
    writer.output(Buffer.alloc(8 * 1024 * 1024)); // keeps the socket busy
    for (let i = 0; i < 50; i++) writer.exec({ type: 'stdout', data: 'o' }, 1);
    writer.exec({ type: 'stderr', data: 'e' }, 1);
    writer.exec({ type: 'stdout', data: 'x' }, 1);
    // The exit comes after the output it ends, held or not.
    const order: string[] = [];
    client.on('exec-data', () => order.push('data'));
    client.on('exec-exit', () => order.push('exit'));
    writer.inOrder(() => server.emit('exec-exit', { code: 0, signal: null }));
    tcp.resume();
    await waitFor(() => written.exec === 52, 'the exec output to be written');
    await waitFor(() => execReceived.length >= 3, 'the exec output to arrive');
    expect(execReceived).toEqual([
      { type: 'stdout', data: 'o'.repeat(50) },
      { type: 'stderr', data: 'e' },
      { type: 'stdout', data: 'x' },
    ]);
    await waitFor(() => order.includes('exit'), 'the exit');
    expect(order).toEqual(['data', 'data', 'data', 'exit']);
    // Exec stdout also reaches the terminal, as a string.
    expect(received.filter((chunk) => typeof chunk === 'string')).toEqual(['o'.repeat(50), 'x']);
    writer.close();
  });
});
