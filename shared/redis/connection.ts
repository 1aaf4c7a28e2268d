/**
 * ioredis clients for every topology, with the options every role needs:
 * commands wait (rather than fail) while Redis is away or failing over,
 * reconnects back off up to two seconds, a primary that was demoted under a
 * client (READONLY) makes it reconnect to the new one and resend, and
 * BullMQ's blocking clients get the `maxRetriesPerRequest: null` it requires.
 *
 * On a Redis Cluster a client keeps one connection per node and sends each
 * command to the node that owns its key's slot; multi-key commands, scripts
 * and transactions must keep their keys in one slot (bus/keys.ts says how).
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisCredentials, RedisTopology } from './topology.js';

/** What the rest of the code talks to: one server (direct or via Sentinel) or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export interface ConnectOptions {
  /** Batch the commands issued in one tick (the bus's hot path). */
  autoPipelining?: boolean;
  /** The client will SSUBSCRIBE (the sharded Socket.IO adapter on a Redis Cluster). */
  shardedSubscriber?: boolean;
}

const backOff = (attempt: number): number => Math.min(50 * 2 ** attempt, 2_000);

/** After a failover the old primary, if it lives, answers writes with READONLY: go find the new one, and resend. */
const RECONNECT_AND_RESEND = 2;
const reconnectOnError = (error: Error): false | 2 => (error.message.startsWith('READONLY') ? RECONNECT_AND_RESEND : false);

/** AUTH/ACL and TLS for the Redis nodes (TLS trusts Node's store: NODE_EXTRA_CA_CERTS adds a private CA). */
function nodeAccess({ username, password, tls }: RedisCredentials): RedisOptions {
  return { ...(username && { username }), ...(password && { password }), ...(tls && { tls: {} }) };
}

export function connectRedis(topology: RedisTopology, connectionName: string, options: ConnectOptions = {}): RedisClient {
  const perConnection = { connectionName, maxRetriesPerRequest: null, reconnectOnError };
  const common: RedisOptions = {
    ...perConnection,
    enableOfflineQueue: true,
    ...(options.autoPipelining && { enableAutoPipelining: true }),
  };
  switch (topology.kind) {
    case 'server':
      return new Redis(topology.url, { ...common, retryStrategy: backOff });
    case 'sentinel': {
      const { credentials } = topology;
      return new Redis({
        ...common,
        retryStrategy: backOff,
        sentinels: topology.sentinels,
        name: topology.name,
        ...nodeAccess(credentials),
        ...(topology.sentinelPassword && { sentinelPassword: topology.sentinelPassword }),
        ...(credentials.tls && { enableTLSForSentinelMode: true, sentinelTLS: {} }),
        sentinelRetryStrategy: backOff,
        // Not ioredis's failoverDetector: its reconnect on +switch-master,
        // arriving while a client is still resolving the primary, ends that
        // client for good ("Connection is closed.", status `end`; seen here).
        // A killed primary closes the connections anyway, and the reconnect
        // asks the sentinels for the new one.
      });
    }
    case 'cluster': {
      const { credentials } = topology;
      const clusterOptions: ClusterOptions = {
        redisOptions: { ...perConnection, ...nodeAccess(credentials) },
        enableOfflineQueue: true,
        clusterRetryStrategy: backOff,
        // A master that dies takes the cluster a few seconds (cluster-node-timeout
        // plus the election) to replace: keep retrying through it.
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        maxRedirections: 64,
        ...(options.autoPipelining && { enableAutoPipelining: true }),
        ...(options.shardedSubscriber && { shardedSubscribers: true }),
        // TLS certificates name the nodes' addresses as the cluster announces them.
        ...(credentials.tls && { dnsLookup: (address: string, callback: (error: null, address: string) => void) => callback(null, address) }),
      };
      return new Cluster(topology.nodes, clusterOptions);
    }
  }
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}
