/**
 * The WebSSH2 protocol end to end, against a real OpenSSH sshd and scripted
 * ssh2 servers: one suite that protocol.test.ts runs through the all-in-one
 * process and through a cluster of two gateways and two workers (separate OS
 * processes around a real redis-server), and protocol-on-redis-cluster.test.ts
 * through the same cluster on a Redis Cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecExitMessage, PromptMessage } from '../../shared/protocol/events.js';
import { freePort } from '../harness/free-port.js';
import { startFleet, type Fleet, type FleetMode, type FleetOptions } from '../harness/fleet.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { ResumingClient } from '../harness/resuming-client.js';
import { startScriptedSshServer, type ScriptedServerHandle } from '../harness/scripted-ssh-server.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

export function protocolSuite(title: string, mode: FleetMode, fleetOptions: Pick<FleetOptions, 'redisTopology'> = {}): void {
  describe(title, () => {
    let sshd: SshdHandle;
    let twoFactor: ScriptedServerHandle;
    let slow: ScriptedServerHandle;
    let dropping: ScriptedServerHandle;
    let legacy: ScriptedServerHandle;
    let fleet: Fleet;
    const clients: ProtocolClient[] = [];

    beforeAll(async () => {
      [sshd, twoFactor, slow, dropping, legacy] = await Promise.all([
        startSshd(),
        startScriptedSshServer('two-factor'),
        startScriptedSshServer('slow-handshake'),
        startScriptedSshServer('drop-on-connect'),
        startScriptedSshServer('legacy-kex'),
      ]);
      fleet = await startFleet(mode, {
        ...fleetOptions,
        env: {
          // 127.0.0.1 only: 127.0.0.2 is on this machine yet forbidden.
          WEBSSH2_SSH_ALLOWED_SUBNETS: '127.0.0.1/32',
          // Long enough for sshd's PAM delays after a wrong password (2-3 s
          // per method tried), short enough to test the timeout quickly.
          WEBSSH2_SSH_READY_TIMEOUT: '12000',
        },
      });
    });
    afterAll(async () => {
      for (const client of clients) client.close();
      await fleet?.stop();
      await Promise.all([sshd?.stop(), twoFactor?.stop(), slow?.stop(), dropping?.stop(), legacy?.stop()]);
    });

    /** Alternates gateways so the cluster runs exercise both. */
    let nextGateway = 0;
    async function connect(): Promise<ProtocolClient> {
      const client = await ProtocolClient.connect(fleet.urls[nextGateway++ % fleet.urls.length]!);
      clients.push(client);
      return client;
    }
    const passwordLogin = () => ({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });

    /** Waits for the shell prompt so that what the test types next is read by bash. */
    async function shell(cols = 80, rows = 24): Promise<ProtocolClient> {
      const client = await connect();
      await client.openShell(passwordLogin(), { cols, rows });
      await client.waitForOutput(/\$ $/m);
      return client;
    }

    it('asks for credentials on connect', async () => {
      const client = await connect();
      await client.waitForEvent('authentication');
      expect(client.eventsNamed('authentication')[0]).toEqual({ action: 'request_auth' });
    });

    it('logs in with a password, announces the session, and round-trips input through the shell', async () => {
      const client = await shell();
      const names = client.events.map((e) => e.event);
      const order = ['authentication', 'session:info', 'permissions', 'getTerminal', 'updateUI'];
      expect(order.map((name) => names.indexOf(name))).toEqual([...order.map((name) => names.indexOf(name))].sort((a, b) => a - b));
      expect(client.eventsNamed('updateUI')).toEqual([
        { element: 'footer', value: `ssh://${sshd.host}:${sshd.port}` },
        { element: 'status', value: 'Connected' },
      ]);
      const info = client.eventsNamed('session:info')[0] as { sessionId: string; resumeToken: string };
      expect(info.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(Buffer.from(info.resumeToken, 'base64url').length).toBeGreaterThanOrEqual(16);

      client.type('echo "round""trip"\r');
      await client.waitForOutput('roundtrip');
    });

    it('opens the pty at the requested size and follows resizes (stty size)', async () => {
      const client = await shell(100, 30);
      client.type('stty size\r');
      await client.waitForOutput(/\r30 100\r\n/);
      client.socket.emit('resize', { cols: 132, rows: 43 });
      client.type('stty size\r');
      await client.waitForOutput(/\r43 132\r\n/);
    });

    it('sends output as binary frames, byte for byte', async () => {
      const client = await shell();
      // 256 distinct byte values through the pty (raw mode, so no translation).
      // The markers are split in the command line so its echo does not contain them.
      client.type("stty raw -echo; printf 'BEG''IN'; head -c 65536 /dev/zero | tr '\\0' '\\377'; printf 'E''ND'; stty sane\r");
      await client.waitForOutput('END');
      const output = client.output;
      const start = output.indexOf('BEGIN') + 5;
      const body = output.subarray(start, output.indexOf('END', start));
      expect(body.length).toBe(65536);
      expect(body.every((byte) => byte === 0xff)).toBe(true);
    });

    it('types the stored password into the shell on replayCredentials', async () => {
      const client = await shell();
      client.type('read -rs secret; echo "got:${#secret}:${secret:0:5}"\r');
      await client.waitForOutput(/read -rs secret.*\r\n/);
      client.socket.emit('control', 'replayCredentials');
      await client.waitForOutput(`got:${sshd.password.length}:${sshd.password.slice(0, 5)}`);
    });

    it('answers reauth with an authentication reauth request', async () => {
      const client = await shell();
      client.socket.emit('control', 'reauth');
      await client.waitForEvent('authentication', (m) => (m as { action: string }).action === 'reauth');
    });

    it('ends the SSH session when the client disconnects', async () => {
      const client = await shell();
      const info = client.eventsNamed('session:info')[0] as { sessionId: string };
      client.close();
      const endLine = new RegExp(`"sid":"${info.sessionId}".*"event":"session-end".*"reason":"client disconnected"`);
      await waitForLogLine(fleet, endLine);
    });

    it('reports the end of the shell with session:closed and ssherror, then disconnects', async () => {
      const client = await shell();
      client.type('exit 7\r');
      const closed = await client.waitForEvent('session:closed');
      expect(closed).toMatchObject({ reason: 'shell closed', exitCode: 7 });
      await client.waitForEvent('ssherror', (m) => m === 'Connection closed');
      await client.waitForEvent('disconnect');
    });

    it('logs in with a private key, and with an encrypted key and its passphrase', async () => {
      for (const credentials of [
        { privateKey: sshd.privateKey },
        { privateKey: sshd.encryptedPrivateKey, passphrase: sshd.passphrase },
      ]) {
        const client = await connect();
        await client.openShell({ username: sshd.user, host: sshd.host, port: sshd.port, ...credentials });
        client.type('echo key-"login"-ok\r');
        await client.waitForOutput('key-login-ok');
      }
    });

    it('runs keyboard-interactive 2FA: answers the password round itself, forwards the code round', async () => {
      const client = await connect();
      const prompts: PromptMessage[] = [];
      const outcome = await client.login(
        { username: twoFactor.user, password: twoFactor.password, host: twoFactor.host, port: twoFactor.port },
        (prompt) => {
          prompts.push(prompt);
          return { [prompt.inputs[0]!.id]: twoFactor.otp };
        },
      );
      expect(outcome).toEqual({ success: true });
      expect(prompts).toHaveLength(1);
      expect(prompts[0]).toMatchObject({ type: 'input', inputs: [{ label: 'Verification code: ', type: 'text' }] });
      await client.waitForEvent('getTerminal');
      client.socket.emit('terminal', { cols: 80, rows: 24 });
      client.type('2fa-ok\r');
      await client.waitForOutput('2fa-ok');
    });

    it('forwards every round when the client asks for all prompts', async () => {
      const client = await connect();
      const labels: string[] = [];
      const outcome = await client.login(
        { username: twoFactor.user, password: 'not-used', host: twoFactor.host, port: twoFactor.port, forwardAllKeyboardInteractivePrompts: true },
        (prompt) => {
          labels.push(prompt.inputs[0]!.label);
          return { [prompt.inputs[0]!.id]: labels.length === 1 ? twoFactor.password : twoFactor.otp };
        },
      );
      expect(outcome).toEqual({ success: true });
      expect(labels).toEqual(['Password: ', 'Verification code: ']);
    });

    it('fails a login whose prompt the user cancels', async () => {
      const client = await connect();
      await client.waitForEvent('authentication');
      client.socket.on('prompt', (prompt) => client.socket.emit('prompt-response', { id: prompt.id, action: 'cancel' }));
      client.socket.emit('authenticate', { username: twoFactor.user, password: twoFactor.password, host: twoFactor.host, port: twoFactor.port });
      const result = await client.waitForEvent('authentication', (m) => (m as { action: string }).action === 'auth_result');
      expect(result).toEqual({ action: 'auth_result', success: false, message: 'Login cancelled' });
    });

    it('reports a wrong password, and accepts a correct retry on the same socket', async () => {
      const client = await connect();
      const wrong = await client.login({ ...passwordLogin(), password: 'wrong-password' });
      expect(wrong).toEqual({ success: false, message: expect.stringMatching(/^Authentication failed/) });
      client.socket.emit('authenticate', passwordLogin());
      await client.waitForEvent('authentication', (m) => (m as { success?: boolean }).success === true);
    });

    it.each([
      ['a forbidden subnet', () => ({ host: '127.0.0.2', port: sshd.port }), /^Connection to host 127\.0\.0\.2 is not permitted$/],
      ['a refused port', async () => ({ host: '127.0.0.1', port: await freePort() }), /^Connection refused by 127\.0\.0\.1:\d+/],
      ['an unknown host name', () => ({ host: 'no-such-host.invalid', port: 22 }), /^Host not found: no-such-host\.invalid$/],
      ['a server that never finishes the handshake', () => ({ host: slow.host, port: slow.port }), /^Connection timeout: no SSH login with .* within 12000 ms$/],
      ['a server that drops the connection', () => ({ host: dropping.host, port: dropping.port }), /^Connection to 127\.0\.0\.1:\d+ was closed by the remote side/],
      ['a server with no algorithm in common', () => ({ host: legacy.host, port: legacy.port }), /^SSH handshake with 127\.0\.0\.1:\d+ failed: no matching key exchange algorithm/],
    ])('explains a failed connection to %s', async (_name, target, expected) => {
      const client = await connect();
      const outcome = await client.login({ username: 'someone', password: 'pw', ...(await target()) });
      expect(outcome.success).toBe(false);
      expect((outcome as { message: string }).message).toMatch(expected);
    });

    it('runs exec requests: stdout as data strings, exec-data for both streams, exec-exit with the code', async () => {
      const client = await shell();
      client.socket.emit('exec', { command: 'echo out-line; echo err-line >&2; exit 3' });
      const exit = (await client.waitForEvent('exec-exit')) as ExecExitMessage;
      expect(exit.code).toBe(3);
      const execData = client.eventsNamed('exec-data') as Array<{ type: string; data: string }>;
      expect(execData.filter((m) => m.type === 'stdout').map((m) => m.data).join('')).toBe('out-line\n');
      expect(execData.filter((m) => m.type === 'stderr').map((m) => m.data).join('')).toBe('err-line\n');
      expect(client.eventsNamed('data').filter((d) => typeof d === 'string').join('')).toBe('out-line\n');
    });

    it('answers bad input with a clear error and keeps that session and its neighbours working', async () => {
      const neighbour = await shell();
      const client = await shell();
      const emitRaw = client.socket.emit.bind(client.socket) as (event: string, ...args: unknown[]) => void;
      emitRaw('resize', { cols: 'wide', rows: -1 });
      await client.waitForEvent('ssherror', (m) => typeof m === 'string' && m.startsWith('Invalid resize payload: cols'));
      emitRaw('data', { not: 'a string' });
      await client.waitForEvent('ssherror', (m) => typeof m === 'string' && m.startsWith('Invalid data payload'));
      emitRaw('control', 'format-disk');
      await client.waitForEvent('ssherror', (m) => typeof m === 'string' && m.startsWith('Invalid control payload'));
      emitRaw('no-such-event', 1);
      await client.waitForEvent('ssherror', (m) => m === 'Unsupported event: no-such-event');
      emitRaw('authenticate', { username: 'x', password: 'y', host: 'h', port: 22 });
      await client.waitForEvent('ssherror', (m) => m === 'Already authenticated');
      client.type('echo still-"alive"\r');
      await client.waitForOutput('still-alive');
      neighbour.type('echo neighbour-"fine"\r');
      await neighbour.waitForOutput('neighbour-fine');
      const warnings = fleet.allLogs().filter((line) => line.includes('invalid event payload'));
      expect(warnings.length).toBeGreaterThanOrEqual(3);
    });

    it('resumes a session after a dropped socket, with output and input exactly once', async () => {
      let output = '';
      const client = new ResumingClient({ urls: fleet.urls, onOutput: (chunk) => (output += chunk.toString()) });
      await client.start(passwordLogin());
      await client.until(() => /\$ $/.test(output), 10_000, 'the prompt');
      client.dropConnection();
      client.type('echo resumed-""here\r');
      await client.until(() => /\rresumed-here\r\n/.test(output), 10_000, 'the echo after the resume');
      expect(output.match(/\rresumed-here\r\n/g)).toHaveLength(1);
      expect(client.events.filter((e) => e.type === 'resumed')).toHaveLength(1);
      expect(client.errors).toEqual([]);
      client.close();
    });

    it('rejects a malformed authenticate with an auth_result naming the problem', async () => {
      const client = await connect();
      await client.waitForEvent('authentication');
      const emitRaw = client.socket.emit.bind(client.socket) as (event: string, ...args: unknown[]) => void;
      emitRaw('authenticate', { username: 'u', host: 'h', port: 70000, password: 'p' });
      const result = await client.waitForEvent('authentication', (m) => (m as { action: string }).action === 'auth_result');
      expect(result).toMatchObject({ success: false, message: expect.stringMatching(/^Invalid credentials: port/) });
    });
  });
}

async function waitForLogLine(fleet: Fleet, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fleet.allLogs().some((line) => pattern.test(line))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no log line matched ${pattern}`);
}
