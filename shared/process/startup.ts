/**
 * What every process does first and last: read its configuration (or stop
 * with a message naming the bad setting), name itself, log, derive its keys
 * from the cluster secret, and shut down in bounded time on a signal.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { OwnershipProofs } from '../crypto/ownership-proof.js';
import { ResumeTokenHasher } from '../crypto/resume-token.js';
import { deriveKey, SealedBox } from '../crypto/sealed-box.js';
import { createLogger, type Logger } from '../log/logger.js';
import { redisTopology, type RedisTopology } from '../redis/topology.js';

/** sysexits' EX_CONFIG: the process cannot run as configured (a bad setting, a taken port). */
export const EX_CONFIG = 78;

export interface ProcessBasics {
  config: Readonly<Config>;
  instanceId: string;
  log: Logger;
}

export function startProcess(role: string): ProcessBasics {
  let config: Readonly<Config>;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`webssh-fleet ${role}: ${error.message}\n`);
    process.exit(EX_CONFIG);
  }
  const instanceId = config.cluster.instanceId ?? `${hostname()}-${randomBytes(3).toString('hex')}`.replace(/[^A-Za-z0-9._-]/g, '-');
  const log = createLogger({ role, instanceId, level: config.log.level });
  process.on('unhandledRejection', (reason) => log.error({ err: String(reason) }, 'unhandled rejection'));
  return { config, instanceId, log };
}

/** How this role reaches Redis, or exit naming the variables when none is set. */
export function requireRedis(config: Readonly<Config>, role: string): RedisTopology {
  const topology = redisTopology(config.cluster);
  if (topology) return topology;
  process.stderr.write(
    `webssh-fleet ${role}: REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES: one is required for this role (npm start runs the all-in-one mode without Redis)\n`,
  );
  process.exit(EX_CONFIG);
}

export interface SecretKeys {
  credentialsBox: SealedBox;
  tokenHasher: ResumeTokenHasher;
  proofs: OwnershipProofs;
}

/** Without a configured secret (all-in-one mode only) a random one lives as long as the process. */
export function secretKeys(secret: string | undefined): SecretKeys {
  const material = secret ?? randomBytes(32).toString('base64url');
  return {
    credentialsBox: new SealedBox(deriveKey(material, 'credentials')),
    tokenHasher: new ResumeTokenHasher(deriveKey(material, 'resume-token')),
    proofs: new OwnershipProofs(deriveKey(material, 'ownership')),
  };
}

/** Runs `stop` on SIGTERM/SIGINT, then exits; a second signal or `graceMs` forces the exit. */
export function onShutdownSignal(log: Logger, graceMs: number, stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.warn({ graceMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, graceMs).unref();
    stop(signal).then(
      () => process.exit(0),
      (error: Error) => {
        log.error({ err: error.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
