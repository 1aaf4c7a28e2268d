/**
 * Test hosts with addresses of their own: one network namespace per host,
 * each wired by a veth pair to a bridge in the test's own namespace, which
 * gets the first address of the subnet. Everything is created by the test
 * and removed after it (or when the test process exits).
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { onProcessExit } from './exit-cleanup.js';

const run = promisify(execFile);

/** Where a process runs: an address on this machine, in a namespace or not. */
export interface HostPlacement {
  address: string;
  netns?: string;
}

export const LOOPBACK: HostPlacement = { address: '127.0.0.1' };

/** `command args` as run inside the placement's namespace. */
export function inHost(host: HostPlacement, command: string, args: readonly string[]): [string, string[]] {
  return host.netns ? ['ip', ['netns', 'exec', host.netns, command, ...args]] : [command, [...args]];
}

export interface TestNetwork {
  /** This process's address on the test network. */
  gateway: string;
  hosts: Record<string, HostPlacement>;
  destroy(): Promise<void>;
}

/** Creates the hosts, or explains why this machine cannot. */
export async function createTestNetwork(names: readonly string[]): Promise<TestNetwork | { unavailable: string }> {
  const tag = randomBytes(3).toString('hex');
  const bridge = `wsf${tag}`;
  // A /24 in 10.231.0.0/16 that only this test's namespaces use.
  const subnet = `10.231.${randomInt(0, 256)}`;
  const namespaces = names.map((_, i) => `wsf-${tag}-${i}`);
  const destroy = async () => {
    await Promise.all(namespaces.map((ns) => run('ip', ['netns', 'del', ns]).catch(() => undefined)));
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
  };
  const unregister = onProcessExit(() => {
    for (const ns of namespaces) void run('ip', ['netns', 'del', ns]).catch(() => undefined);
    void run('ip', ['link', 'del', bridge]).catch(() => undefined);
  });
  try {
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
    const hosts: Record<string, HostPlacement> = {};
    for (const [i, name] of names.entries()) {
      const ns = namespaces[i]!;
      const address = `${subnet}.${i + 2}`;
      const outside = `${bridge}v${i}`;
      await run('ip', ['netns', 'add', ns]);
      await run('ip', ['link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await run('ip', ['link', 'set', outside, 'master', bridge]);
      await run('ip', ['link', 'set', outside, 'up']);
      for (const args of [['link', 'set', 'lo', 'up'], ['addr', 'add', `${address}/24`, 'dev', 'eth0'], ['link', 'set', 'eth0', 'up'], ['route', 'add', 'default', 'via', `${subnet}.1`]]) {
        await run('ip', ['netns', 'exec', ns, 'ip', ...args]);
      }
      hosts[name] = { address, netns: ns };
    }
    return {
      gateway: `${subnet}.1`,
      hosts,
      async destroy() {
        await destroy();
        unregister();
      },
    };
  } catch (error) {
    await destroy();
    unregister();
    return { unavailable: `network namespaces cannot be created here: ${(error as Error).message.split('\n')[0]}` };
  }
}
