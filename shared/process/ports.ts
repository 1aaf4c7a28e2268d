/**
 * A role binds its ports before it announces itself anywhere (its inbox,
 * placement): a role that cannot start leaves nothing behind in Redis, and
 * says why in one line that names the setting, not in a stack trace.
 *
 * The main port is the role's address: taken, the role stops. The health
 * and metrics port only has to be known to whoever probes it: taken (a
 * second worker on a developer's machine), the role serves it on a free port
 * instead and logs which, so any number of roles run side by side with the
 * same environment. In Kubernetes every pod has its own network, and the
 * configured port is always free.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.js';
import { EX_CONFIG } from './startup.js';

/** Listens on `port` (0: any free one) and resolves with the port bound. */
export function listen(server: Server, port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function isTaken(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EADDRINUSE' || code === 'EACCES';
}

/** The role's main port: bound, or the process stops with one line naming `variable`. */
export async function bindMainPort(server: Server, port: number, host: string, role: string, variable: string): Promise<number> {
  try {
    return await listen(server, port, host);
  } catch (error) {
    if (!isTaken(error)) throw error;
    const why = (error as NodeJS.ErrnoException).code === 'EACCES' ? 'is not allowed for this user' : 'is taken';
    process.stderr.write(`webssh-fleet ${role}: port ${port} on ${host} ${why}: set ${variable} to a free port\n`);
    process.exit(EX_CONFIG);
  }
}

/** The health and metrics port: the configured one, or a free one when it is taken (logged). */
export async function bindHealthPort(server: Server, port: number, log: Logger): Promise<number> {
  try {
    return await listen(server, port);
  } catch (error) {
    if (!isTaken(error)) throw error;
    const chosen = await listen(server, 0);
    log.warn(
      { event: 'metrics-port-taken', configured: port, port: chosen },
      `FLEET_METRICS_PORT ${port} is taken on this host: health and metrics are on port ${chosen}; set FLEET_METRICS_PORT to choose`,
    );
    return chosen;
  }
}
