/**
 * The baseline: an ssh2 Client shell straight to the sshd, from the bench's
 * own process. The worker runs this same library with the same defaults, so
 * the difference to the fleet is the relay (Redis, gateway, Socket.IO), not
 * the SSH implementation.
 */
import ssh2 from 'ssh2';
import { OutputPort, PTY, type Shell, type ShellTarget } from '../shell.js';

export function openDirectShell(target: ShellTarget): Promise<Shell> {
  const client = new ssh2.Client();
  return new Promise<Shell>((resolve, reject) => {
    // Also after the login: an error event without a listener would crash the measurement process.
    client.on('error', (error) => reject(new Error(`direct ssh2: ${error.message}`)));
    client.once('ready', () => {
      client.shell({ term: PTY.term, cols: PTY.cols, rows: PTY.rows }, (error, stream) => {
        if (error) return reject(new Error(`direct ssh2 shell: ${error.message}`));
        const output = new OutputPort();
        stream.on('data', (chunk: Buffer) => output.emit(chunk));
        resolve({
          type: (text) => stream.write(text),
          onOutput: (listener) => output.set(listener),
          close: () => client.end(),
        });
      });
    });
    client.connect({ ...target, readyTimeout: 0 });
  });
}
