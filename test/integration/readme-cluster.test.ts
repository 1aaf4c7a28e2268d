/**
 * The README's cluster quick start, run as written: its code block goes to
 * bash unchanged, in a network namespace of its own where 127.0.0.1:6379 is
 * a Redis the test started, so the block's addresses and ports are free.
 * Two workers and two gateways started at the same moment on one host must
 * all run and serve terminals; a third gateway on a taken port must say so
 * in one line and leave nothing behind in Redis.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onProcessExit } from '../harness/exit-cleanup.js';
import { createTestNetwork, inHost, type HostPlacement, type TestNetwork } from '../harness/network-hosts.js';
import { ProtocolClient } from '../harness/protocol-client.js';
import { spawnProcess, waitUntilReady, type ServiceProcess } from '../harness/processes.js';
import { startScriptedSshServer, type ScriptedServerHandle } from '../harness/scripted-ssh-server.js';
import { waitFor } from '../harness/wait-for.js';

const run = promisify(execFile);
const repo = new URL('../..', import.meta.url).pathname;
const readme = readFileSync(new URL('README.md', `file://${repo}`), 'utf8');

/** The first ```sh block after the "Cluster mode" heading, verbatim. */
function clusterBlock(): string {
  const section = readme.slice(readme.indexOf('### Cluster mode'));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README: no sh block under "### Cluster mode"');
  return match[1]!;
}

/** The environment of a fresh shell: nothing of this cluster's settings leaks in from the test run. */
function cleanEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(WEBSSH2_|FLEET_|REDIS_)/.test(name)) env[name] = value;
  }
  return env;
}

let testNetwork: TestNetwork | undefined;
/** Why this machine cannot make the test's namespace, if it cannot. */
let unavailable: string | undefined;
let host: HostPlacement;
let redis: ServiceProcess;
let target: ScriptedServerHandle;
let shell: ChildProcess;
const lines: string[] = [];

beforeAll(async () => {
  const network = await createTestNetwork(['cluster-host']);
  if ('unavailable' in network) {
    unavailable = network.unavailable;
    return;
  }
  testNetwork = network;
  host = network.hosts['cluster-host']!;
  redis = spawnProcess('redis-server', ...inHost(host, 'redis-server', ['--port', '6379', '--bind', '127.0.0.1', host.address, '--protected-mode', 'no', '--save', '', '--appendonly', 'no']));
  await waitUntilReady(redis, 'serving', async () => redis.logs.some((line) => line.includes('Ready to accept connections')));
  // The block's background roles are this bash's children: one process group, killed together.
  const [command, args] = inHost(host, 'bash', ['-c', `${clusterBlock()}\nwait`]);
  shell = spawn(command, args, { cwd: repo, env: cleanEnvironment(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  onProcessExit(() => killGroup(shell));
  for (const stream of [shell.stdout!, shell.stderr!]) createInterface({ input: stream }).on('line', (line) => lines.push(line));
  // On the test's side of the bridge, where the workers in the namespace reach it.
  target = await startScriptedSshServer('many-sessions', network.gateway);
}, 60_000);

afterAll(async () => {
  if (shell) killGroup(shell);
  await target?.stop();
  await redis?.kill('SIGKILL');
  await testNetwork?.destroy();
});

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function ready(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://${host.address}:${port}/readyz`)).ok;
  } catch {
    return false;
  }
}

async function redisKeys(pattern: string): Promise<string[]> {
  const { stdout } = await run('redis-cli', ['-h', host.address, '-p', '6379', '--scan', '--pattern', pattern]);
  return stdout.split('\n').filter(Boolean);
}

describe("the README's cluster quick start", () => {
  it('runs two workers and two gateways started together on one host, and each gateway serves a terminal', async (context) => {
    if (!testNetwork) return context.skip(unavailable);
    const started = Date.now();
    await waitFor(() => lines.filter((line) => line.includes('"worker ready"')).length === 2, 'two workers ready', 120_000);
    await waitFor(() => lines.filter((line) => line.includes('"gateway listening"')).length === 2, 'two gateways listening', 120_000);
    expect(await ready(2222)).toBe(true);
    expect(await ready(2223)).toBe(true);
    // Four roles, one default health port: the first has it, the others say where theirs is.
    expect(lines.filter((line) => line.includes('"metrics-port-taken"'))).toHaveLength(3);
    expect(lines.filter((line) => /^\s+at /.test(line))).toEqual([]);
    expect(await redisKeys('*inbox:worker:*')).toHaveLength(2);

    for (const port of [2222, 2223]) {
      const client = await ProtocolClient.connect(`http://${host.address}:${port}`);
      // Host keys are checked by default: the user trusts this one, as a person at the page would.
      client.socket.on('hostkey:verify', () => client.socket.emit('hostkey:verify-response', { action: 'accept' }));
      await client.openShell({ host: target.host, port: target.port, username: target.user, password: target.password });
      client.type(`via ${port}\r`);
      await client.waitForOutput(`via ${port}`);
      client.close();
    }
    console.log(`[readme-cluster] 2 workers + 2 gateways ready and serving in ${Date.now() - started} ms`);
  }, 180_000);

  it('stops a gateway whose port is taken with one line naming the setting, leaving nothing in Redis', async (context) => {
    if (!testNetwork) return context.skip(unavailable);
    await waitFor(() => lines.filter((line) => line.includes('"gateway listening"')).length === 2, 'the first two gateways', 120_000);
    const inboxesBefore = await redisKeys('*inbox:gw:*');
    const env = { ...cleanEnvironment(), REDIS_URL: 'redis://127.0.0.1:6379', WEBSSH2_SESSION_SECRET: 'a-third-gateway-secret-of-some-length-000' };
    const [command, args] = inHost(host, 'npm', ['run', '--silent', 'gateway']);
    const third = spawn(command, args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    createInterface({ input: third.stderr }).on('line', (line) => stderr.push(line));
    const code = await new Promise<number | null>((resolve) => third.once('exit', resolve));
    expect(code).toBe(78);
    expect(stderr).toEqual(['webssh-fleet gateway: port 2222 on 0.0.0.0 is taken: set WEBSSH2_LISTEN_PORT to a free port']);
    expect(await redisKeys('*inbox:gw:*')).toEqual(inboxesBefore);
  }, 180_000);
});
