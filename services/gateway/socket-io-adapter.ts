/**
 * The Socket.IO adapter that lets gateways reach each other's sockets
 * (`io.to(room).emit` from any gateway). On one Redis (direct or via
 * Sentinel) it is the classic adapter on PUBLISH/SUBSCRIBE; on a Redis
 * Cluster classic Pub/Sub sends every message to every node, so there it is
 * the sharded adapter (SPUBLISH/SSUBSCRIBE, Redis 7): a channel lives on the
 * shard of its slot, and adding shards adds capacity.
 */
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { KeyLayout } from '../../shared/bus/keys.js';
import type { RedisClient } from '../../shared/redis/connection.js';
import type { RedisTopology } from '../../shared/redis/topology.js';

export function socketIoAdapter(topology: RedisTopology, publisher: RedisClient, subscriber: RedisClient, keys: KeyLayout) {
  const channelPrefix = `${keys.prefix}:socket.io`;
  return topology.kind === 'cluster'
    ? createShardedAdapter(publisher, subscriber, { channelPrefix })
    : createAdapter(publisher, subscriber, { key: channelPrefix });
}
