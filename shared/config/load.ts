/**
 * Builds the configuration from an optional JSON file and the environment
 * (the environment wins), parses it once with the schema, and freezes it.
 * A bad setting fails start-up with a message naming the variable (or file
 * key) and what is wrong with it.
 */
import { readFileSync } from 'node:fs';
import { usesRedis } from './redis-settings.js';
import { configSchema, type Config } from './schema.js';

type Kind = 'string' | 'int' | 'bool' | 'list' | 'int-list';

/**
 * Every environment variable the system reads, and where it lands. WebSSH2's
 * names are kept wherever the concept is the same; ours start with FLEET_.
 */
export const ENVIRONMENT_VARIABLES = {
  WEBSSH2_LISTEN_IP: { path: 'listen.ip', kind: 'string' },
  WEBSSH2_LISTEN_PORT: { path: 'listen.port', kind: 'int' },
  WEBSSH2_HTTP_ORIGINS: { path: 'http.origins', kind: 'list' },
  WEBSSH2_HEADER_TEXT: { path: 'header.text', kind: 'string' },
  WEBSSH2_HEADER_BACKGROUND: { path: 'header.background', kind: 'string' },
  WEBSSH2_SSO_ENABLED: { path: 'sso.enabled', kind: 'bool' },
  WEBSSH2_SSO_TRUSTED_PROXIES: { path: 'sso.trustedProxies', kind: 'list' },
  WEBSSH2_SSO_HEADER_USERNAME: { path: 'sso.headerMapping.username', kind: 'string' },
  WEBSSH2_SSO_HEADER_PASSWORD: { path: 'sso.headerMapping.password', kind: 'string' },
  WEBSSH2_SSO_HEADER_SESSION: { path: 'sso.headerMapping.session', kind: 'string' },
  WEBSSH2_SSH_HOST: { path: 'ssh.host', kind: 'string' },
  WEBSSH2_SSH_PORT: { path: 'ssh.port', kind: 'int' },
  WEBSSH2_SSH_TERM: { path: 'ssh.term', kind: 'string' },
  WEBSSH2_SSH_READY_TIMEOUT: { path: 'ssh.readyTimeoutMs', kind: 'int' },
  WEBSSH2_SSH_KEEPALIVE_INTERVAL: { path: 'ssh.keepaliveIntervalMs', kind: 'int' },
  WEBSSH2_SSH_KEEPALIVE_COUNT_MAX: { path: 'ssh.keepaliveCountMax', kind: 'int' },
  WEBSSH2_SSH_ALLOWED_SUBNETS: { path: 'ssh.allowedSubnets', kind: 'list' },
  FLEET_SSH_ALLOWED_PORTS: { path: 'ssh.allowedPorts', kind: 'int-list' },
  FLEET_SSH_HOST_LOCK: { path: 'ssh.hostLock', kind: 'bool' },
  WEBSSH2_SSH_ALWAYS_SEND_KEYBOARD_INTERACTIVE: { path: 'ssh.alwaysSendKeyboardInteractivePrompts', kind: 'bool' },
  WEBSSH2_SSH_PROMPT_TIMEOUT: { path: 'ssh.promptTimeoutMs', kind: 'int' },
  WEBSSH2_SSH_HOSTKEY_ENABLED: { path: 'ssh.hostKeyVerification.enabled', kind: 'bool' },
  WEBSSH2_SSH_HOSTKEY_UNKNOWN_ACTION: { path: 'ssh.hostKeyVerification.unknownKeyAction', kind: 'string' },
  FLEET_SSH_KNOWN_HOSTS: { path: 'ssh.hostKeyVerification.knownHostsFile', kind: 'string' },
  FLEET_SSH_HOSTKEY_MAX_STORED: { path: 'ssh.hostKeyVerification.maxStoredKeys', kind: 'int' },
  WEBSSH2_OPTIONS_ALLOW_REPLAY: { path: 'options.allowReplay', kind: 'bool' },
  WEBSSH2_OPTIONS_REPLAY_CRLF: { path: 'options.replayCrlf', kind: 'bool' },
  WEBSSH2_OPTIONS_ALLOW_REAUTH: { path: 'options.allowReauth', kind: 'bool' },
  WEBSSH2_OPTIONS_ALLOW_RECONNECT: { path: 'options.allowReconnect', kind: 'bool' },
  WEBSSH2_OPTIONS_AUTO_LOG: { path: 'options.autoLog', kind: 'bool' },
  WEBSSH2_SESSION_SECRET: { path: 'session.secret', kind: 'string' },
  FLEET_HANDOFF_TTL_MS: { path: 'http.handoffTtlMs', kind: 'int' },
  FLEET_HANDOFF_MAX_PENDING: { path: 'http.handoffMaxPending', kind: 'int' },
  FLEET_LIMIT_HANDOFFS_PER_IP: { path: 'limits.handoffsPerIp', kind: 'int' },
  FLEET_LIMIT_SOCKETS_PER_IP: { path: 'limits.socketsPerIp', kind: 'int' },
  FLEET_AUTH_TIMEOUT_MS: { path: 'limits.authTimeoutMs', kind: 'int' },
  FLEET_CLIENT_DIR: { path: 'http.clientDir', kind: 'string' },
  FLEET_TRUSTED_PROXIES: { path: 'http.trustedProxies', kind: 'list' },
  FLEET_SERVE_SOURCE_MAPS: { path: 'http.serveSourceMaps', kind: 'bool' },
  FLEET_LIMIT_LOGINS_PER_IP: { path: 'limits.loginsPerIp', kind: 'int' },
  FLEET_LIMIT_LOGIN_FAILURES_PER_TARGET: { path: 'limits.loginFailuresPerTarget', kind: 'int' },
  FLEET_LIMIT_LOGIN_WINDOW_MS: { path: 'limits.loginWindowMs', kind: 'int' },
  FLEET_LIMIT_SESSIONS_PER_IP: { path: 'limits.sessionsPerIp', kind: 'int' },
  FLEET_LIMIT_SESSION_WINDOW_MS: { path: 'limits.sessionWindowMs', kind: 'int' },
  FLEET_LIMIT_EVENTS_PER_SECOND: { path: 'limits.eventsPerSecond', kind: 'int' },
  FLEET_LIMIT_EXECS_PER_SESSION: { path: 'limits.execsPerSession', kind: 'int' },
  FLEET_LIMIT_LOGINS_IN_FLIGHT_PER_IP: { path: 'limits.loginsInFlightPerIp', kind: 'int' },
  FLEET_LIMIT_IPV6_PREFIX: { path: 'limits.ipv6PrefixBits', kind: 'int' },
  FLEET_SSH_LOGIN_TIMEOUT_MS: { path: 'ssh.loginTimeoutMs', kind: 'int' },
  FLEET_SSH_MAX_KEYBOARD_INTERACTIVE_ROUNDS: { path: 'ssh.maxKeyboardInteractiveRounds', kind: 'int' },
  FLEET_LIMIT_INBOUND_BYTES_PER_SECOND: { path: 'limits.inboundBytesPerSecond', kind: 'int' },
  FLEET_IDLE_TIMEOUT_MS: { path: 'session.idleTimeoutMs', kind: 'int' },
  FLEET_MAX_SESSION_DURATION_MS: { path: 'session.maxDurationMs', kind: 'int' },
  FLEET_DETACH_TIMEOUT_MS: { path: 'session.detachTimeoutMs', kind: 'int' },
  FLEET_ENDED_NOTE_TTL_MS: { path: 'session.endedNoteTtlMs', kind: 'int' },
  FLEET_REPLAY_BYTES: { path: 'session.replayBytes', kind: 'int' },
  FLEET_FLOW_HIGH_WATER_BYTES: { path: 'flow.highWaterBytes', kind: 'int' },
  FLEET_FLOW_LOW_WATER_BYTES: { path: 'flow.lowWaterBytes', kind: 'int' },
  FLEET_INPUT_WINDOW_BYTES: { path: 'flow.inputWindowBytes', kind: 'int' },
  REDIS_URL: { path: 'cluster.redisUrl', kind: 'string' },
  REDIS_SENTINELS: { path: 'cluster.redisSentinels', kind: 'list' },
  REDIS_SENTINEL_NAME: { path: 'cluster.redisSentinelName', kind: 'string' },
  REDIS_CLUSTER_NODES: { path: 'cluster.redisClusterNodes', kind: 'list' },
  REDIS_USERNAME: { path: 'cluster.redisUsername', kind: 'string' },
  REDIS_PASSWORD: { path: 'cluster.redisPassword', kind: 'string' },
  REDIS_SENTINEL_PASSWORD: { path: 'cluster.redisSentinelPassword', kind: 'string' },
  REDIS_TLS: { path: 'cluster.redisTls', kind: 'bool' },
  FLEET_REDIS_KEY_PREFIX: { path: 'cluster.keyPrefix', kind: 'string' },
  FLEET_WORKER_MAX_SESSIONS: { path: 'cluster.workerMaxSessions', kind: 'int' },
  FLEET_WORKER_SETUP_CONCURRENCY: { path: 'cluster.workerSetupConcurrency', kind: 'int' },
  FLEET_PLACEMENT_TIMEOUT_MS: { path: 'cluster.placementTimeoutMs', kind: 'int' },
  FLEET_LEASE_TTL_MS: { path: 'cluster.leaseTtlMs', kind: 'int' },
  FLEET_HEARTBEAT_INTERVAL_MS: { path: 'cluster.heartbeatIntervalMs', kind: 'int' },
  FLEET_DRAIN_TIMEOUT_MS: { path: 'cluster.drainTimeoutMs', kind: 'int' },
  FLEET_INSTANCE_ID: { path: 'cluster.instanceId', kind: 'string' },
  FLEET_METRICS_PORT: { path: 'metrics.port', kind: 'int' },
  FLEET_METRICS_TOKEN: { path: 'metrics.token', kind: 'string' },
  LOG_LEVEL: { path: 'log.level', kind: 'string' },
} as const satisfies Record<string, { path: string; kind: Kind }>;

/** Names a JSON file with the schema's nested shape; variables override it. */
export const CONFIG_FILE_VARIABLE = 'FLEET_CONFIG_FILE';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const input: Record<string, unknown> = {};
  const sourceByPath = new Map<string, string>();

  const file = env[CONFIG_FILE_VARIABLE];
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError(`${CONFIG_FILE_VARIABLE}: cannot read ${file}: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`${CONFIG_FILE_VARIABLE}: ${file} must hold a JSON object`);
    }
    Object.assign(input, parsed);
  }

  for (const [name, { path, kind }] of Object.entries(ENVIRONMENT_VARIABLES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(input, path, convert(name, raw, kind));
    sourceByPath.set(path, name);
  }

  const result = configSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.join('.');
      // An item of a list names the list's variable: `REDIS_CLUSTER_NODES: must be host:port`.
      const listPath = issue.path.filter((part) => typeof part !== 'number').join('.');
      const setting = sourceByPath.get(path) ?? sourceByPath.get(listPath) ?? `${path} (config file or default)`;
      return `${setting}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  if (usesRedis(result.data.cluster) && !result.data.session.secret) {
    throw new ConfigError('WEBSSH2_SESSION_SECRET: required when Redis is configured (the same value on every process of the cluster)');
  }
  return deepFreeze(result.data);
}

function convert(name: string, raw: string, kind: Kind): unknown {
  switch (kind) {
    case 'string':
      return raw;
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name}: "${raw}" is not a whole number`);
      return Number(raw.trim());
    }
    case 'bool': {
      const value = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(value)) return true;
      if (['false', '0', 'no', 'off'].includes(value)) return false;
      throw new ConfigError(`${name}: "${raw}" is not a boolean (true/false)`);
    }
    case 'list':
      return listItems(raw);
    case 'int-list':
      return listItems(raw).map((item) => {
        if (!/^\d+$/.test(item)) throw new ConfigError(`${name}: "${item}" is not a whole number`);
        return Number(item);
      });
  }
}

function listItems(raw: string): string[] {
  return raw.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    node = (typeof next === 'object' && next !== null ? next : (node[part] = {})) as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
