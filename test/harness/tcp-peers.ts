/**
 * Which remote TCP ports a process has connections to, read from /proc: the
 * process's socket inodes matched against the kernel's TCP tables.
 */
import { readFile, readdir, readlink } from 'node:fs/promises';

export async function remotePortsOf(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(match[1]!);
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      // fields: sl local_address rem_address st ... inode (index 9); st 01 = ESTABLISHED
      if (fields.length < 10 || fields[3] !== '01' || !inodes.has(fields[9]!)) continue;
      ports.push(parseInt(fields[2]!.split(':')[1]!, 16));
    }
  }
  return ports;
}
