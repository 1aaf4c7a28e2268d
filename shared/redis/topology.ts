/**
 * Where Redis is and how to talk to it, read off the settings once: one
 * server (`REDIS_URL`), a primary watched by Sentinel, or a Redis Cluster.
 * Everything above the connection (bus, session store, placement, limits)
 * runs the same commands on all three; what differs is how a client finds
 * the node that holds a key (connection.ts).
 */
import type { RedisSettings } from '../config/redis-settings.js';

export interface RedisAddress {
  host: string;
  port: number;
}

export interface RedisCredentials {
  username?: string;
  password?: string;
  /** TLS to every node (Node's trust store; add a private CA with NODE_EXTRA_CA_CERTS). */
  tls: boolean;
}

export type RedisTopology =
  | { kind: 'server'; url: string }
  | { kind: 'sentinel'; sentinels: RedisAddress[]; name: string; credentials: RedisCredentials; sentinelPassword?: string }
  | { kind: 'cluster'; nodes: RedisAddress[]; credentials: RedisCredentials };

/** The topology the settings name, or undefined when none is set (all-in-one mode). Settings are validated (config/redis-settings.ts). */
export function redisTopology(settings: RedisSettings): RedisTopology | undefined {
  const credentials: RedisCredentials = {
    ...(settings.redisUsername && { username: settings.redisUsername }),
    ...(settings.redisPassword && { password: settings.redisPassword }),
    tls: settings.redisTls,
  };
  if (settings.redisUrl) return { kind: 'server', url: settings.redisUrl };
  if (settings.redisSentinels && settings.redisSentinelName) {
    return {
      kind: 'sentinel',
      sentinels: settings.redisSentinels.map(parseAddress),
      name: settings.redisSentinelName,
      credentials,
      ...(settings.redisSentinelPassword && { sentinelPassword: settings.redisSentinelPassword }),
    };
  }
  if (settings.redisClusterNodes) return { kind: 'cluster', nodes: settings.redisClusterNodes.map(parseAddress), credentials };
  return undefined;
}

/** `host:port` or `[v6]:port` (the schema checked the shape). */
export function parseAddress(text: string): RedisAddress {
  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(text.slice(colon + 1)) };
}

/** How a log line names the topology: never a credential. */
export function describeTopology(topology: RedisTopology): string {
  switch (topology.kind) {
    case 'server': {
      const url = new URL(topology.url);
      return `${url.protocol}//${url.host}`;
    }
    case 'sentinel':
      return `sentinel ${topology.name} via ${topology.sentinels.map((a) => `${a.host}:${a.port}`).join(',')}`;
    case 'cluster':
      return `cluster via ${topology.nodes.map((a) => `${a.host}:${a.port}`).join(',')}`;
  }
}
