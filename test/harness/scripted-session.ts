import type { AcceptConnection, Session, ServerChannel } from 'ssh2';

interface TerminalSize {
  rows: number;
  cols: number;
}

/**
 * A fake login session: a pty-aware echo shell and a canned exec, enough for tests to
 * observe terminal I/O, resizes and exit codes without a real host behind them.
 */
export function serveSession(accept: AcceptConnection<Session>): void {
  const session = accept();
  // Stays 0x0 until the client asks for a pty, as there is no terminal to measure before that.
  const size: TerminalSize = { rows: 0, cols: 0 };
  session.on('pty', (acceptPty, _reject, info) => {
    size.rows = info.rows;
    size.cols = info.cols;
    acceptPty?.();
  });
  session.on('window-change', (acceptChange, _reject, info) => {
    size.rows = info.rows;
    size.cols = info.cols;
    // Clients normally send window-change without asking for a reply, leaving nothing to accept.
    acceptChange?.();
  });
  session.on('shell', (acceptShell) => runEchoShell(acceptShell(), size));
  session.on('exec', (acceptExec, _reject, info) => {
    const stream = acceptExec();
    stream.write(`ran: ${info.command}\n`);
    stream.stderr.write('err\n');
    stream.exit(3);
    stream.end();
  });
}

/**
 * Echoes input like a tty in echo mode (with CR shown as CRLF) and understands two
 * commands: `size` prints the latest "<rows> <cols>", `exit` ends with exit code 0.
 */
function runEchoShell(stream: ServerChannel, size: Readonly<TerminalSize>): void {
  // Input is only ever compared against these commands, so a long line (bulk-throughput
  // tests send megabytes without CR) only needs to be remembered as "too long to match".
  const rememberedLineLength = Math.max('size'.length, 'exit'.length) + 1;
  let line = '';
  stream.write('$ ');
  const onInput = (chunk: Buffer): void => {
    // latin1 maps bytes 1:1 to chars, so arbitrary bytes are echoed back unchanged.
    const segments = chunk.toString('latin1').split('\r');
    const unterminated = segments.pop() ?? '';
    let output = '';
    for (const segment of segments) {
      const command = (line + segment).slice(0, rememberedLineLength);
      line = '';
      output += `${segment}\r\n`;
      if (command === 'exit') {
        stream.off('data', onInput);
        stream.write(Buffer.from(output, 'latin1'));
        stream.exit(0);
        stream.end();
        return;
      }
      if (command === 'size') output += `${size.rows} ${size.cols}\r\n`;
      output += '$ ';
    }
    line = (line + unterminated).slice(0, rememberedLineLength);
    stream.write(Buffer.from(output + unterminated, 'latin1'));
  };
  stream.on('data', onInput);
}
