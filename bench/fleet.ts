/**
 * The bench's view of a fleet started by the test harness (startFleet): the
 * URL its clients use and the processes whose CPU and memory it reads. A
 * bench cluster has one worker; the resume scenario asks for more gateways.
 */
import { startFleet, type Fleet } from '../test/harness/fleet.js';
import type { Pids } from './process-usage.js';

export interface BenchFleet {
  url: string;
  /** The fleet's processes by role, for CPU and memory readings. */
  pids: Pids;
  /** The cluster's Redis, for INFO readings. */
  redisUrl?: string;
  stop: () => Promise<void>;
}

export type BenchCluster = BenchFleet & Pick<Fleet, 'urls' | 'gateways' | 'respawnGateway'>;

/**
 * A benchmark is one client address opening hundreds of sessions at once and
 * acknowledging output as fast as it comes: the abuse limits would measure
 * themselves, so they are lifted.
 */
const WITHOUT_ABUSE_LIMITS = {
  FLEET_LIMIT_LOGINS_PER_IP: '1000000',
  FLEET_LIMIT_SESSIONS_PER_IP: '1000000',
  FLEET_LIMIT_EVENTS_PER_SECOND: '1000000',
  FLEET_LIMIT_LOGINS_IN_FLIGHT_PER_IP: '1000000',
  FLEET_LIMIT_SOCKETS_PER_IP: '1000000',
  // Hundreds of logins to one user at once are hundreds of attempts under way against one target.
  FLEET_LIMIT_LOGIN_FAILURES_PER_TARGET: '1000000',
  FLEET_LIMIT_INBOUND_BYTES_PER_SECOND: String(1 << 30),
};

/** `pids` names the first gateway `gateway`, as it was at start. */
export async function startCluster(env: Record<string, string>, options: { gateways?: number; nodeArgs?: string[] } = {}): Promise<BenchCluster> {
  const fleet = await startFleet('cluster', { gateways: options.gateways ?? 1, workers: 1, env: { ...WITHOUT_ABUSE_LIMITS, ...env }, nodeArgs: options.nodeArgs ?? [] });
  return {
    url: fleet.urls[0]!,
    urls: fleet.urls,
    gateways: fleet.gateways,
    respawnGateway: fleet.respawnGateway,
    pids: { gateway: fleet.gateways[0]!.pid, worker: fleet.workers[0]!.pid, redis: fleet.redis!.pid },
    redisUrl: fleet.redis!.url,
    stop: fleet.stop,
  };
}

export async function startAllInOne(env: Record<string, string>, options: { nodeArgs?: string[] } = {}): Promise<BenchFleet> {
  const fleet = await startFleet('all-in-one', { env: { ...WITHOUT_ABUSE_LIMITS, ...env }, nodeArgs: options.nodeArgs ?? [] });
  return { url: fleet.urls[0]!, pids: { 'all-in-one': fleet.gateways[0]!.pid }, stop: fleet.stop };
}
