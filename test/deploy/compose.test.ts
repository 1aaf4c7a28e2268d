/**
 * docker-compose.yml and its load balancer: valid against the current
 * Compose schema (dclint, offline), and in agreement with the code: the
 * variables set are ones the processes read, with values the config schema
 * accepts; the balancer proxies WebSockets to every gateway with no
 * stickiness; workers may reach the demo target's network and nothing else;
 * a stopping worker gets its drain.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { SubnetAllowList } from '../../shared/config/cidr.js';
import { loadConfig } from '../../shared/config/load.js';
import { SOCKET_IO_PATH } from '../../shared/protocol/events.js';
import { type ComposeService, composeEnvSettings, unknownSettings } from './env-names.js';
import { REPO_ROOT } from './manifests.js';

const run = promisify(execFile);
const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
const NGINX_CONF = join(REPO_ROOT, 'deploy', 'compose', 'nginx.conf');
/** services/ssh-worker/main.ts: a worker exits by force this long after its drain timeout. */
const WORKER_HARD_STOP_MS = 15_000;

interface Compose {
  name?: string;
  services: Record<string, ComposeService & {
    command?: string[];
    ports?: string[];
    networks?: string[];
    healthcheck?: { test: string[] };
    stop_grace_period?: string;
    volumes?: string[];
    deploy?: { replicas?: number };
  }>;
  networks: Record<string, { internal?: boolean; ipam?: { config?: { subnet: string }[] } } | null>;
}

/** The file as Compose sees it: YAML merge keys resolved. */
const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as Compose;

const scratch = mkdtempSync(join(tmpdir(), 'compose-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface DclintResult {
  filePath: string;
  messages: { rule: string; type: string; message: string; line: number }[];
}

/** dclint's findings for a file (errors and warnings alike). */
async function dclint(file: string): Promise<DclintResult['messages']> {
  const bin = join(REPO_ROOT, 'node_modules', 'dclint', 'bin', 'dclint.cjs');
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, [bin, '--formatter', 'json', file], { cwd: REPO_ROOT }));
  } catch (error) {
    stdout = (error as { stdout?: string }).stdout ?? '';
    if (!stdout.trim().startsWith('[')) throw error;
  }
  return (JSON.parse(stdout) as DclintResult[]).flatMap((result) => result.messages);
}

/** The environment a fleet service gets, with `${VAR:?...}` interpolations filled in. */
function serviceEnv(name: string): Record<string, string> {
  const environment = compose.services[name]!.environment as Record<string, string | number | boolean>;
  return Object.fromEntries(
    Object.entries(environment).map(([key, value]) => [key, String(value).replace(/\$\{[A-Z0-9_]+:\?[^}]*\}/g, 'placeholder-secret-placeholder-secret-0123456789')]),
  );
}

function fleetServices(): [string, Compose['services'][string]][] {
  return Object.entries(compose.services).filter(([, service]) => service.build !== undefined);
}

function rolesOf(role: 'gateway' | 'ssh-worker'): string[] {
  return fleetServices()
    .filter(([, service]) => service.command?.join(' ') === `node dist/services/${role}/main.js`)
    .map(([name]) => name);
}

/** Compose durations: 45s, 1m30s, 1h. */
function durationMs(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return total;
}

describe('docker-compose.yml', () => {
  it('passes dclint (Compose schema and its default rules) without an error or a warning', async () => {
    expect(await dclint(COMPOSE_FILE)).toEqual([]);
  });

  it('dclint rejects an unknown key (the check can fail)', async () => {
    const document = parseDocument(readFileSync(COMPOSE_FILE, 'utf8'));
    document.setIn(['services', 'redis', 'restartt'], 'always');
    const broken = join(scratch, 'docker-compose.yml');
    writeFileSync(broken, document.toString());
    const messages = await dclint(broken);
    expect(messages.filter((message) => message.type === 'error').map((message) => message.rule)).toContain('invalid-schema');
  });

  it('has two gateways behind a load balancer, two workers, Redis and a demo SSH target', () => {
    expect(rolesOf('gateway')).toHaveLength(2);
    const workers = rolesOf('ssh-worker');
    expect(workers.reduce((count, name) => count + (compose.services[name]!.deploy?.replicas ?? 1), 0)).toBe(2);
    expect(compose.services.redis?.image).toMatch(/^redis:7-alpine$/);
    expect(compose.services.redis?.command).toEqual(['redis-server', '--save', '', '--appendonly', 'no']);
    expect(compose.services.lb?.image).toMatch(/^nginx:/);
    expect(compose.services['ssh-target']?.image).toMatch(/openssh-server:[\w.-]+$/);
  });

  it('sets only environment variables the system reads, with values the config schema accepts', () => {
    const settings = composeEnvSettings(compose.services);
    expect(settings.length).toBeGreaterThan(0);
    expect(unknownSettings(settings)).toEqual([]);
    for (const [name] of fleetServices()) expect(() => loadConfig(serviceEnv(name)), name).not.toThrow();
  });

  it('checks the health of every fleet process on its own /healthz', () => {
    for (const name of rolesOf('gateway')) {
      const port = loadConfig(serviceEnv(name)).listen.port;
      expect(compose.services[name]!.healthcheck?.test.join(' '), name).toContain(`http://127.0.0.1:${port}/healthz`);
    }
    for (const name of rolesOf('ssh-worker')) {
      const port = loadConfig(serviceEnv(name)).metrics.port;
      expect(compose.services[name]!.healthcheck?.test.join(' '), name).toContain(`http://127.0.0.1:${port}/healthz`);
    }
  });

  it('lets workers reach the targets network only, and keeps Redis off the outside', () => {
    const targets = compose.services['ssh-target']!.networks!;
    expect(targets).toHaveLength(1);
    const subnets = compose.networks[targets[0]!]?.ipam?.config?.map((entry) => entry.subnet) ?? [];
    expect(subnets.length).toBeGreaterThan(0);
    const network = new SubnetAllowList(subnets);
    for (const name of rolesOf('ssh-worker')) {
      expect(compose.services[name]!.networks).toContain(targets[0]);
      const allowed = loadConfig(serviceEnv(name)).ssh.allowedSubnets;
      expect(allowed.length, 'WEBSSH2_SSH_ALLOWED_SUBNETS is set (empty is an open proxy)').toBeGreaterThan(0);
      for (const subnet of allowed) {
        const [address, prefix] = subnet.split('/');
        expect(network.allows(address!), `${subnet} inside ${subnets.join(', ')}`).toBe(true);
        expect(Number(prefix)).toBeGreaterThanOrEqual(Number(subnets[0]!.split('/')[1]));
      }
    }
    for (const network of compose.services.redis!.networks!) expect(compose.networks[network]?.internal, `redis network ${network}`).toBe(true);
  });

  it('gives a stopping worker its drain: stop_grace_period above FLEET_DRAIN_TIMEOUT_MS and the hard stop', () => {
    for (const name of rolesOf('ssh-worker')) {
      const drain = loadConfig(serviceEnv(name)).cluster.drainTimeoutMs;
      expect(durationMs(compose.services[name]!.stop_grace_period ?? '10s')).toBeGreaterThan(drain + WORKER_HARD_STOP_MS);
    }
  });

  it.skipIf(!commandExists('docker-compose'))('is accepted by docker-compose 1.29 (Debian), apart from the newer top-level name', async () => {
    // 1.29 predates the Compose specification's top-level `name`; the rest
    // must be valid there too.
    const document = parseDocument(readFileSync(COMPOSE_FILE, 'utf8'));
    document.delete('name');
    const copy = join(scratch, 'compose-1.29.yml');
    writeFileSync(copy, document.toString());
    await run('docker-compose', ['--project-directory', REPO_ROOT, '-f', copy, 'config', '-q'], {
      env: { ...process.env, WEBSSH2_SESSION_SECRET: 'placeholder-secret-placeholder-secret-0123456789' },
    });
  });
});

describe('deploy/compose/nginx.conf', () => {
  const conf = readFileSync(NGINX_CONF, 'utf8').replace(/#.*$/gm, '');

  it('is the load balancer config the compose file mounts', () => {
    expect(compose.services.lb!.volumes).toContain('./deploy/compose/nginx.conf:/etc/nginx/nginx.conf:ro');
    const listen = /listen\s+(\d+);/.exec(conf)?.[1];
    expect(compose.services.lb!.ports?.some((port) => port.endsWith(`:${listen}`))).toBe(true);
  });

  it('balances round robin over every gateway, with no stickiness', () => {
    const upstream = /upstream\s+gateways\s*\{([^}]*)\}/.exec(conf)?.[1] ?? '';
    const servers = [...upstream.matchAll(/^\s*server\s+([^\s;]+)/gm)].map((match) => match[1]).sort();
    const expected = rolesOf('gateway').map((name) => `${name}:${loadConfig(serviceEnv(name)).listen.port}`).sort();
    expect(servers).toEqual(expected);
    expect(conf).not.toMatch(/\b(ip_hash|hash|sticky|least_conn|random)\b/);
  });

  it('proxies WebSockets for the Socket.IO path with long timeouts', () => {
    const location = /location\s+(\/[^\s{]*)\s*\{([^}]*)\}/g;
    const proxied = [...conf.matchAll(location)].filter((match) => match[2]!.includes('proxy_pass http://gateways'));
    expect(proxied.length).toBeGreaterThan(0);
    for (const [, path, body] of proxied) {
      expect(SOCKET_IO_PATH.startsWith(path!)).toBe(true);
      expect(body).toMatch(/proxy_http_version 1\.1;/);
      expect(body).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
      expect(body).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
      const readTimeout = /proxy_read_timeout\s+(\w+);/.exec(body!)?.[1] ?? '60s';
      expect(durationMs(/^\d+$/.test(readTimeout) ? `${readTimeout}s` : readTimeout)).toBeGreaterThanOrEqual(3_600_000);
    }
    expect(conf).toMatch(/map \$http_upgrade \$connection_upgrade/);
  });
});

function commandExists(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
