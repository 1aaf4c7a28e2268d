/**
 * Child-process entry: the crowd's SSH target, the test harness's scripted
 * ssh2 server (a password login and a pty echo shell), in a process of its
 * own so that its CPU is not counted as the fleet's or the bench's. It
 * announces its address over IPC and serves until the bench goes away.
 */
import { startScriptedSshServer } from '../../test/harness/scripted-ssh-server.js';
import type { TargetAnnouncement } from './crowd-protocol.js';

const server = await startScriptedSshServer('many-sessions');
process.send!({ host: server.host, port: server.port, username: server.user, password: server.password } satisfies TargetAnnouncement);
process.on('disconnect', () => {
  void server.stop().finally(() => process.exit(0));
});
