import ssh2, { type Client, type ClientChannel, type ConnectConfig } from 'ssh2';

/** Resolves with a ready client, or rejects with the error that stopped the login. */
export function connectClient(
  config: ConnectConfig,
  setUp: (client: Client) => void = () => {},
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    setUp(client);
    client.once('ready', () => resolve(client));
    // A failed handshake can report more than one error (e.g. timeout, then connection lost).
    client.on('error', reject);
    client.connect({ readyTimeout: 10_000, ...config });
  });
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | undefined;
}

export function execCommand(client: Client, command: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, stream) => {
      if (error) return reject(error);
      const result: ExecResult = { stdout: '', stderr: '', code: undefined };
      stream.on('data', (data: Buffer) => (result.stdout += data.toString()));
      stream.stderr.on('data', (data: Buffer) => (result.stderr += data.toString()));
      stream.on('exit', (code: number) => (result.code = code));
      stream.on('close', () => resolve(result));
    });
  });
}

export function openShell(client: Client, size: { rows: number; cols: number }): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.shell({ term: 'xterm', ...size }, (error, stream) => (error ? reject(error) : resolve(stream)));
  });
}

/** Collects a channel's output so tests can wait for text that may arrive in pieces. */
export function outputOf(stream: ClientChannel): { text(): string; waitFor(expected: string, timeoutMs?: number): Promise<void> } {
  let text = '';
  const waiters = new Set<() => void>();
  stream.on('data', (data: Buffer) => {
    text += data.toString('latin1');
    for (const check of waiters) check();
  });
  return {
    text: () => text,
    waitFor(expected, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!text.includes(expected)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${JSON.stringify(expected)} in shell output ${JSON.stringify(text)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}
