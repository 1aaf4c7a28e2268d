/**
 * Issue 10, item 1: memory is bounded per session whatever the client does.
 * Three attacks, each run for ATTACK_MS against running processes while a
 * neighbouring session on the same gateway and worker keeps echoing:
 *
 * - exec output to a client that stops reading (`cat /dev/zero` over exec);
 * - input flooded into a program that does not read it (`sleep` in the shell);
 * - a client that stops reading and acknowledges output blindly.
 *
 * Each reports the peak growth of every process (and Redis) and the
 * neighbour's echo times; each process must grow less than GROWTH_BOUND and
 * every echo must come back within ECHO_BOUND_MS.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoProbe, type EchoStats } from '../harness/echo-probe.js';
import { startFleet, type Fleet, type FleetMode } from '../harness/fleet.js';
import { MemoryWatch, type Growth } from '../harness/memory-watch.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { startSshd, type SshdHandle } from '../harness/sshd.js';

const MiB = 1024 * 1024;
const ATTACK_MS = 10_000;
const GROWTH_BOUND = 64 * MiB;
const ECHO_BOUND_MS = 1_000;

type TcpSocket = { pause(): void; resume(): void };
const tcpOf = (client: ProtocolClient) => (client.socket.io.engine.transport as unknown as { ws: { _socket: TcpSocket } }).ws._socket;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeMemoryAttacks(mode: FleetMode): void {
  describe(`memory bounds under attack (${mode})`, () => {
    let sshd: SshdHandle;
    let fleet: Fleet;
    let redis: Redis | undefined;
    let neighbour: ProtocolClient;
    let probe: EchoProbe;

    beforeAll(async () => {
      sshd = await startSshd();
      fleet = await startFleet(mode, { gateways: 1, workers: 1 });
      if (fleet.redis) redis = new Redis(fleet.redis.url);
      neighbour = await ProtocolClient.connect(fleet.urls[0]!);
      await neighbour.openShell(credentials());
      await neighbour.waitForOutput(/\$ $/m);
      probe = new EchoProbe(neighbour, { boundMs: ECHO_BOUND_MS });
      await probe.once();
    });
    afterAll(async () => {
      neighbour?.close();
      redis?.disconnect();
      await fleet?.stop();
      await sshd?.stop();
    });

    const credentials = () => ({ username: sshd.user, password: sshd.password, host: sshd.host, port: sshd.port });

    async function attacker(): Promise<ProtocolClient> {
      const client = await ProtocolClient.connect(fleet.urls[0]!);
      await client.openShell(credentials());
      await client.waitForOutput(/\$ $/m);
      return client;
    }

    /** Runs `attack` for ATTACK_MS while watching memory and the neighbour. */
    async function underAttack(what: string, attack: (signal: { running: boolean }) => Promise<void>): Promise<{ growth: Growth; echo: EchoStats }> {
      const processes: Record<string, number> =
        mode === 'cluster' ? { gateway: fleet.gateways[0]!.pid, worker: fleet.workers[0]!.pid } : { 'all-in-one': fleet.gateways[0]!.pid };
      const watch = new MemoryWatch(processes, redis);
      await watch.start();
      probe = new EchoProbe(neighbour, { boundMs: ECHO_BOUND_MS });
      probe.start();
      const signal = { running: true };
      const attacking = attack(signal);
      await sleep(ATTACK_MS);
      signal.running = false;
      await attacking;
      const growth = await watch.stop();
      const echo = await probe.stop();
      console.log(`[${mode}] ${what}, ${ATTACK_MS / 1000} s: peak growth ${MemoryWatch.describe(growth)}; neighbour: ${echo.echoes} echoes, p50 ${echo.p50Ms} ms, max ${echo.maxMs} ms`);
      for (const [name, bytes] of Object.entries(growth)) expect(bytes, `${name} growth`).toBeLessThan(GROWTH_BOUND);
      expect(echo.echoes).toBeGreaterThan(5);
      expect(echo.late, `echoes over ${ECHO_BOUND_MS} ms (max ${echo.maxMs} ms)`).toBe(0);
      return { growth, echo };
    }

    it('bounds exec output to a client that stops reading', async () => {
      const client = await attacker();
      client.socket.emit('exec', { command: 'cat /dev/zero' });
      await client.waitForEvent('exec-data');
      tcpOf(client).pause();
      await underAttack('exec `cat /dev/zero`, client not reading', async () => undefined);
      client.close();
    }, 60_000);

    it('bounds input flooded into a program that does not read it, and tells the client', async () => {
      const client = await attacker();
      // Raw mode: the pty queues input instead of discarding a full line, so
      // nothing more is taken once the program has not read it.
      client.type('stty raw -echo; sleep 600\r');
      await client.waitForOutput('sleep 600\r\n');
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      await underAttack('64 KiB `data` events at up to 900/s into `sleep` on a raw pty', async (signal) => {
        // 9 events every 10 ms: about 900 a second, under the event limit,
        // as fast as the gateway reads them (beyond, they would only pile up here).
        const ws = (client.socket.io.engine.transport as unknown as { ws: { bufferedAmount: number } }).ws;
        while (signal.running) {
          if (ws.bufferedAmount < 8 * MiB) {
            for (let i = 0; i < 9; i++) client.type(chunk);
            sent += 9;
          }
          await sleep(10);
        }
      });
      console.log(`[${mode}] input flood: ${sent} events (${Math.round((sent * chunk.length) / MiB)} MiB) sent`);
      await client.waitForEvent('session:input-paused');
      await client.waitForEvent('ssherror', (message) => /^Input dropped: the remote program is not reading its input/.test(String(message)));
      // Told once until the window reopens, not once per dropped event.
      const told = client.eventsNamed('ssherror').filter((message) => /^Input dropped/.test(String(message))).length;
      expect(told).toBeLessThanOrEqual(client.eventsNamed('session:input-resumed').length + 1);
      client.close();
    }, 60_000);

    it('bounds output to a client that stops reading and acknowledges blindly', async () => {
      const client = await attacker();
      client.type('yes\r');
      await client.waitForOutput('y\r\ny\r\n');
      tcpOf(client).pause();
      await underAttack('`yes`, client not reading but acknowledging 20 MB/s blindly', async (signal) => {
        let guess = client.output.length;
        while (signal.running) {
          guess += 100_000;
          client.socket.emit('session:ack', { offset: guess });
          await sleep(5);
        }
      });
      client.close();
    }, 60_000);
  });
}
