/**
 * Child-process entry: the crowd's SSH target, the test harness's scripted
 * ssh2 server (a password login and a pty echo shell), in a process of its
 * own so that its CPU is not counted as the fleet's or the bench's. It
 * announces its address over IPC and serves until the bench goes away.
 *
 * Like OpenSSH's sshd by default (ClientAliveInterval 0), it sends no
 * keepalives of its own. ssh2's server would otherwise ping every connection
 * every 15 s, and with 10,000 terminals open most of what the worker does
 * while the crowd is quiet would be answering those pings: a cost of this
 * target, not of a fleet in front of real hosts.
 */
import ssh2 from 'ssh2';
import { startScriptedSshServer } from '../../test/harness/scripted-ssh-server.js';
import type { TargetAnnouncement } from './crowd-protocol.js';

(ssh2.Server as unknown as { KEEPALIVE_CLIENT_INTERVAL: number }).KEEPALIVE_CLIENT_INTERVAL = 0;
const server = await startScriptedSshServer('many-sessions');
process.send!({ host: server.host, port: server.port, username: server.user, password: server.password } satisfies TargetAnnouncement);
process.on('disconnect', () => {
  void server.stop().finally(() => process.exit(0));
});
