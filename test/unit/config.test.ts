import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENVIRONMENT_VARIABLES, loadConfig } from '../../shared/config/load.js';
import { configSchema } from '../../shared/config/schema.js';
import { describeTopology, redisTopology } from '../../shared/redis/topology.js';

const SECRET = 'x'.repeat(40);

describe('configuration', () => {
  it('has WebSSH2-compatible defaults', () => {
    const config = loadConfig({});
    expect(config.listen).toEqual({ ip: '0.0.0.0', port: 2222 });
    expect(config.ssh).toMatchObject({ port: 22, term: 'xterm-256color', readyTimeoutMs: 20_000, keepaliveIntervalMs: 120_000, allowedSubnets: [] });
    expect(config.options).toMatchObject({ allowReplay: true, allowReauth: true, allowReconnect: true, autoLog: false });
    expect(config.session).toMatchObject({ detachTimeoutMs: 300_000, replayBytes: 2 * 1024 * 1024 });
    expect(config.cluster.redisUrl).toBeUndefined();
    expect(config.ssh.hostKeyVerification).toEqual({ enabled: true, unknownKeyAction: 'prompt', maxStoredKeys: 10_000 });
  });

  it('reads every documented variable into its place', () => {
    const config = loadConfig({
      WEBSSH2_LISTEN_PORT: '8080',
      WEBSSH2_SSH_ALLOWED_SUBNETS: '10.0.0.0/8, fd00::/8',
      WEBSSH2_SSH_ALWAYS_SEND_KEYBOARD_INTERACTIVE: 'true',
      WEBSSH2_OPTIONS_ALLOW_REPLAY: 'false',
      WEBSSH2_HTTP_ORIGINS: 'localhost:8080,*:443',
      REDIS_URL: 'redis://127.0.0.1:6390',
      WEBSSH2_SESSION_SECRET: SECRET,
      FLEET_WORKER_MAX_SESSIONS: '7',
    });
    expect(config.listen.port).toBe(8080);
    expect(config.ssh.allowedSubnets).toEqual(['10.0.0.0/8', 'fd00::/8']);
    expect(config.ssh.alwaysSendKeyboardInteractivePrompts).toBe(true);
    expect(config.options.allowReplay).toBe(false);
    expect(config.http.origins).toEqual(['localhost:8080', '*:443']);
    expect(config.cluster).toMatchObject({ redisUrl: 'redis://127.0.0.1:6390', workerMaxSessions: 7 });
  });

  it.each([
    [{ WEBSSH2_LISTEN_PORT: 'eighty' }, /WEBSSH2_LISTEN_PORT: "eighty" is not a whole number/],
    [{ WEBSSH2_LISTEN_PORT: '70000' }, /WEBSSH2_LISTEN_PORT: .*65535/],
    [{ WEBSSH2_SSH_ALLOWED_SUBNETS: '10.0.0.0/33' }, /WEBSSH2_SSH_ALLOWED_SUBNETS: "10.0.0.0\/33" is not a CIDR block/],
    [{ WEBSSH2_OPTIONS_AUTO_LOG: 'maybe' }, /WEBSSH2_OPTIONS_AUTO_LOG: "maybe" is not a boolean/],
    [{ REDIS_URL: 'http://redis' }, /REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/],
    [{ REDIS_URL: 'redis://127.0.0.1:6379' }, /WEBSSH2_SESSION_SECRET: required when Redis is configured/],
    [{ WEBSSH2_SESSION_SECRET: 'short' }, /WEBSSH2_SESSION_SECRET: must be at least 32 characters/],
    [{ FLEET_FLOW_LOW_WATER_BYTES: '4194304' }, /FLEET_FLOW_LOW_WATER_BYTES: must be below flow.highWaterBytes/],
    [{ WEBSSH2_SSH_HOSTKEY_UNKNOWN_ACTION: 'ask' }, /WEBSSH2_SSH_HOSTKEY_UNKNOWN_ACTION: .*prompt.*alert.*reject/],
  ])('stops with a message naming the setting for %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads a JSON file and lets variables override it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fleet-config-')), 'config.json');
    writeFileSync(file, JSON.stringify({ listen: { port: 3000 }, ssh: { term: 'vt100' } }));
    const config = loadConfig({ FLEET_CONFIG_FILE: file, WEBSSH2_SSH_TERM: 'xterm' });
    expect(config.listen.port).toBe(3000);
    expect(config.ssh.term).toBe('xterm');
  });

  it('freezes the result', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.ssh.allowedSubnets)).toBe(true);
  });

  it('maps every variable to a setting the schema has', () => {
    // With the optional settings filled in, every path has a value; the three
    // ways to reach Redis exclude each other, so each gets a config of its own.
    const base = {
      session: { secret: SECRET },
      header: { text: 'Staging', background: '#dc2626' },
      http: { clientDir: '/srv/client' },
      ssh: { host: 'bastion', hostKeyVerification: { knownHostsFile: '/etc/ssh/ssh_known_hosts' } },
      metrics: { token: 'a-token-of-sixteen-or-more' },
    };
    const fulls = [
      configSchema.parse({ ...base, cluster: { redisUrl: 'redis://r', instanceId: 'i' } }),
      configSchema.parse({
        ...base,
        cluster: { redisSentinels: ['s:26379'], redisSentinelName: 'm', redisUsername: 'u', redisPassword: 'p', redisSentinelPassword: 'sp', redisTls: true },
      }),
      configSchema.parse({ ...base, cluster: { redisClusterNodes: ['c:6379'] } }),
    ];
    for (const [name, { path }] of Object.entries(ENVIRONMENT_VARIABLES)) {
      const values = fulls.map((full) => path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], full));
      expect(values.some((value) => value !== undefined), `${name} -> ${path}`).toBe(true);
    }
  });
});

describe('how the settings reach Redis', () => {
  const cluster = { WEBSSH2_SESSION_SECRET: SECRET };

  it('reads each of the three ways into a topology', () => {
    expect(redisTopology(loadConfig({ ...cluster, REDIS_URL: 'rediss://u:p@r:6380' }).cluster)).toEqual({ kind: 'server', url: 'rediss://u:p@r:6380' });
    const sentinel = loadConfig({
      ...cluster,
      REDIS_SENTINELS: 's1:26379, [fd00::2]:26379',
      REDIS_SENTINEL_NAME: 'fleet',
      REDIS_USERNAME: 'fleet',
      REDIS_PASSWORD: 'pw',
      REDIS_SENTINEL_PASSWORD: 'spw',
      REDIS_TLS: 'true',
    });
    expect(redisTopology(sentinel.cluster)).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: 's1', port: 26379 }, { host: 'fd00::2', port: 26379 }],
      name: 'fleet',
      credentials: { username: 'fleet', password: 'pw', tls: true },
      sentinelPassword: 'spw',
    });
    const clustered = loadConfig({ ...cluster, REDIS_CLUSTER_NODES: 'n1:7000,n2:7001', REDIS_PASSWORD: 'pw' });
    expect(redisTopology(clustered.cluster)).toEqual({
      kind: 'cluster',
      nodes: [{ host: 'n1', port: 7000 }, { host: 'n2', port: 7001 }],
      credentials: { password: 'pw', tls: false },
    });
    expect(redisTopology(loadConfig({}).cluster)).toBeUndefined();
  });

  it('never names a credential when it describes the topology', () => {
    const described = describeTopology({ kind: 'server', url: 'redis://fleet:hunter2-secret@r:6379' });
    expect(described).toBe('redis://r:6379');
  });

  it.each([
    [{ REDIS_URL: 'redis://r', REDIS_CLUSTER_NODES: 'n:7000' }, /REDIS_URL: set only one of REDIS_URL, REDIS_CLUSTER_NODES/],
    [{ REDIS_SENTINELS: 's:26379', REDIS_CLUSTER_NODES: 'n:7000', REDIS_SENTINEL_NAME: 'm' }, /set only one of REDIS_SENTINELS, REDIS_CLUSTER_NODES/],
    [{ REDIS_SENTINELS: 's:26379' }, /REDIS_SENTINELS: needs REDIS_SENTINEL_NAME/],
    [{ REDIS_SENTINEL_NAME: 'm', REDIS_URL: 'redis://r' }, /REDIS_SENTINEL_NAME: only means something with REDIS_SENTINELS/],
    [{ REDIS_URL: 'redis://r', REDIS_PASSWORD: 'pw' }, /REDIS_PASSWORD: with REDIS_URL, put the credentials in the URL/],
    [{ REDIS_URL: 'redis://r', REDIS_TLS: 'true' }, /REDIS_TLS: with REDIS_URL, ask for TLS with a rediss:\/\/ URL/],
    [{ REDIS_PASSWORD: 'pw' }, /REDIS_PASSWORD: REDIS_PASSWORD needs REDIS_SENTINELS or REDIS_CLUSTER_NODES/],
    [{ REDIS_CLUSTER_NODES: 'n7000' }, /REDIS_CLUSTER_NODES: must be host:port/],
    [{ REDIS_SENTINEL_PASSWORD: 'x', REDIS_CLUSTER_NODES: 'n:7000' }, /REDIS_SENTINEL_PASSWORD: only means something with REDIS_SENTINELS/],
  ])('stops on a bad combination, naming the variables: %j', (env, message) => {
    expect(() => loadConfig({ ...cluster, ...env })).toThrow(message);
  });

  it('asks for the cluster secret whichever way Redis is reached', () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'n:7000' })).toThrow(/WEBSSH2_SESSION_SECRET: required when Redis is configured/);
  });
});
