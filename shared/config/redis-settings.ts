/**
 * The rules for how the settings choose a way to reach Redis, each broken
 * rule named by the variables an operator set. Exactly one way, or none (the
 * all-in-one mode): `REDIS_URL` (one server), `REDIS_SENTINELS` with
 * `REDIS_SENTINEL_NAME` (a primary watched by Sentinel), or
 * `REDIS_CLUSTER_NODES` (a Redis Cluster). redis/topology.ts turns the
 * settings that pass into a connection plan.
 */

export interface RedisSettings {
  redisUrl?: string | undefined;
  redisSentinels?: readonly string[] | undefined;
  redisSentinelName?: string | undefined;
  redisClusterNodes?: readonly string[] | undefined;
  redisUsername?: string | undefined;
  redisPassword?: string | undefined;
  redisSentinelPassword?: string | undefined;
  redisTls: boolean;
}

export interface SettingProblem {
  /** The setting the message is about (its variable is named in the message). */
  setting: keyof RedisSettings;
  message: string;
}

/** Whether any way to reach Redis is set: the process is part of a cluster. */
export function usesRedis(settings: RedisSettings): boolean {
  return Boolean(settings.redisUrl ?? settings.redisSentinels ?? settings.redisClusterNodes);
}

export function redisTopologyProblems(settings: RedisSettings): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const ways = [
    settings.redisUrl && 'REDIS_URL',
    settings.redisSentinels && 'REDIS_SENTINELS',
    settings.redisClusterNodes && 'REDIS_CLUSTER_NODES',
  ].filter((name): name is string => Boolean(name));
  if (ways.length > 1) {
    problems.push({ setting: 'redisUrl', message: `set only one of ${ways.join(', ')}: they are different ways to reach Redis` });
  }
  if (settings.redisSentinels && !settings.redisSentinelName) {
    problems.push({ setting: 'redisSentinels', message: 'needs REDIS_SENTINEL_NAME, the name under which the sentinels monitor the primary' });
  }
  if (settings.redisSentinelName && !settings.redisSentinels) {
    problems.push({ setting: 'redisSentinelName', message: 'only means something with REDIS_SENTINELS' });
  }
  if (settings.redisSentinelPassword && !settings.redisSentinels) {
    problems.push({ setting: 'redisSentinelPassword', message: 'only means something with REDIS_SENTINELS' });
  }
  if (settings.redisUrl) {
    // One place for a URL's credentials and TLS: the URL itself.
    if (settings.redisUsername || settings.redisPassword) {
      problems.push({ setting: 'redisPassword', message: 'with REDIS_URL, put the credentials in the URL (redis://user:password@host:port), not in REDIS_USERNAME/REDIS_PASSWORD' });
    }
    if (settings.redisTls) {
      problems.push({ setting: 'redisTls', message: 'with REDIS_URL, ask for TLS with a rediss:// URL instead' });
    }
  }
  if (!usesRedis(settings)) {
    for (const [setting, name] of [['redisUsername', 'REDIS_USERNAME'], ['redisPassword', 'REDIS_PASSWORD'], ['redisTls', 'REDIS_TLS']] as const) {
      if (settings[setting]) problems.push({ setting, message: `${name} needs REDIS_SENTINELS or REDIS_CLUSTER_NODES` });
    }
  }
  return problems;
}
