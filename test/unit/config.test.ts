import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENVIRONMENT_VARIABLES, loadConfig } from '../../shared/config/load.js';
import { configSchema } from '../../shared/config/schema.js';

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
    [{ REDIS_URL: 'redis://127.0.0.1:6379' }, /WEBSSH2_SESSION_SECRET: required when REDIS_URL is set/],
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
    // With the optional settings filled in, every path has a value.
    const full = configSchema.parse({
      session: { secret: SECRET },
      cluster: { redisUrl: 'redis://r', instanceId: 'i' },
      header: { text: 'Staging', background: '#dc2626' },
      http: { clientDir: '/srv/client' },
      ssh: { host: 'bastion', hostKeyVerification: { knownHostsFile: '/etc/ssh/ssh_known_hosts' } },
      metrics: { token: 'a-token-of-sixteen-or-more' },
    });
    for (const [name, { path }] of Object.entries(ENVIRONMENT_VARIABLES)) {
      const value = path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], full);
      expect(value, `${name} -> ${path}`).toBeDefined();
    }
  });
});
