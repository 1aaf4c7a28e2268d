/**
 * A webssh-fleet client for the bench, typed with the protocol's event maps
 * and connecting the way the page does (WebSocket only). Unlike the test
 * harness's ProtocolClient it records nothing: output goes straight to the
 * scenario's listener.
 *
 * With `acks` it sends `session:ack {offset}` as it consumes output, like a
 * browser after xterm's write callback; the worker pauses a session's SSH
 * channel once 2 MiB are unacknowledged, so acks must come well inside that
 * window. Without `acks` it is a stock WebSSH2 client and the gateway acks
 * on its behalf when the WebSocket has flushed the bytes.
 */
import { io, type Socket } from 'socket.io-client';
import { SOCKET_IO_PATH, type ClientToServerEvents, type ServerToClientEvents } from '../shared/protocol/events.js';
import { OutputPort, PTY, type Shell, type ShellTarget } from './shell.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Ack granularity: a quarter of the gateway's default low-water mark, so the window never closes. */
const ACK_EVERY_BYTES = 128 * 1024;

export interface FleetShellOptions {
  url: string;
  acks: boolean;
}

/** Logs in and requests the pty; resolves when the worker has been asked to open the shell. */
export function openFleetShell(target: ShellTarget, options: FleetShellOptions): Promise<Shell> {
  const socket: ClientSocket = io(options.url, {
    path: SOCKET_IO_PATH,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const output = new OutputPort();
  let received = 0;
  let acked = 0;
  socket.on('data', (chunk) => {
    // Strings are exec output; the shell's output comes as binary frames.
    if (typeof chunk === 'string') return;
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as ArrayBuffer);
    received += bytes.length;
    output.emit(bytes);
    if (options.acks && received - acked >= ACK_EVERY_BYTES) {
      acked = received;
      socket.emit('session:ack', { offset: received });
    }
  });
  const shell: Shell = {
    type: (text) => socket.emit('data', text),
    onOutput: (listener) => output.set(listener),
    close: () => socket.disconnect(),
  };

  return new Promise<Shell>((resolve, reject) => {
    const fail = (problem: string): void => {
      socket.disconnect();
      reject(new Error(`fleet login: ${problem}`));
    };
    socket.on('connect_error', (error) => fail(`could not connect to ${options.url}: ${error.message}`));
    socket.on('ssherror', (message) => fail(`ssherror ${message}`));
    socket.on('authentication', (message) => {
      if (message.action === 'request_auth') {
        socket.emit('authenticate', { ...target, term: PTY.term, cols: PTY.cols, rows: PTY.rows });
      } else if (message.action === 'auth_result' && !message.success) {
        fail(`authentication failed: ${message.message}`);
      }
    });
    socket.once('getTerminal', () => {
      socket.off('ssherror');
      socket.emit('terminal', { cols: PTY.cols, rows: PTY.rows });
      resolve(shell);
    });
  });
}
