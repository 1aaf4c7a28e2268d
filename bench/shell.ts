/**
 * What every scenario drives: an interactive shell on the sshd under test,
 * reached either through webssh-fleet or directly with ssh2. Both clients
 * open the same pty and neither keeps the output: a scenario sees each
 * chunk once and keeps at most a short tail, so a 200 MB transfer costs the
 * client no memory and the measurement no garbage collection of its own.
 */

export interface ShellTarget {
  host: string;
  port: number;
  username: string;
  password: string;
}

/** The pty both clients request; the fleet's default term, so the shells match. */
export const PTY = { term: 'xterm-256color', cols: 80, rows: 24 } as const;

export interface Shell {
  /** Input as a user types it (a command ends with '\r'). */
  type(text: string): void;
  /** Sets the one output listener; output that arrived before it was set is handed over first. */
  onOutput(listener: (chunk: Buffer) => void): void;
  close(): void;
}

/**
 * Holds the output of a freshly opened shell (banner, prompt) until the
 * scenario attaches its listener, so no byte is lost between the two.
 */
export class OutputPort {
  private listener: ((chunk: Buffer) => void) | undefined;
  private early: Buffer[] = [];

  emit(chunk: Buffer): void {
    if (this.listener) this.listener(chunk);
    else this.early.push(chunk);
  }

  set(listener: (chunk: Buffer) => void): void {
    this.listener = listener;
    for (const chunk of this.early.splice(0)) listener(chunk);
  }
}

const TAIL_CHARS = 256;

/** The last few hundred bytes of output, as latin1 so every byte is one char. */
export class OutputTail {
  text = '';

  push(chunk: Buffer): void {
    const start = Math.max(0, chunk.length - TAIL_CHARS);
    this.text = (this.text + chunk.toString('latin1', start)).slice(-TAIL_CHARS);
  }
}

/** Resolves once `done(tail)` holds after some output chunk; rejects after `timeoutMs`. */
export function waitForOutput(shell: Shell, done: (tail: string) => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const tail = new OutputTail();
    const timer = setTimeout(() => {
      reject(new Error(`no ${what} within ${timeoutMs} ms; output tail: ${JSON.stringify(tail.text.slice(-120))}`));
    }, timeoutMs);
    shell.onOutput((chunk) => {
      tail.push(chunk);
      if (!done(tail.text)) return;
      clearTimeout(timer);
      resolve();
    });
  });
}

/** bash prints its prompt (ending in "$ ") once the login is complete and it reads input. */
export function waitForPrompt(shell: Shell, timeoutMs: number): Promise<void> {
  return waitForOutput(shell, (tail) => tail.endsWith('$ '), timeoutMs, 'shell prompt');
}

/** Rejects with a message naming `what` unless `promise` settles within `timeoutMs`. */
export function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
