/**
 * The whole configuration of every role, as one zod schema with its defaults.
 * Units are in the names. `load.ts` builds the input from the environment (and
 * an optional JSON file) and parses it once at start-up; the frozen result is
 * passed down as an argument.
 */
import { z } from 'zod';
import { parseCidr } from './cidr.js';
import { redisTopologyProblems } from './redis-settings.js';

const port = z.number().int().min(1).max(65_535);
const positiveMs = z.number().int().min(1);
/** A duration where 0 switches the feature off. */
const msOrOff = z.number().int().min(0);
const count = z.number().int().min(1);
const bytes = z.number().int().min(1);
const httpHeaderName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/).transform((name) => name.toLowerCase());

/** `host:port`, an IPv6 address in brackets: `[fd00::1]:26379`. */
const hostPort = z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/, 'must be host:port');

const cidrList = z.array(z.string()).superRefine((list, ctx) => {
  for (const entry of list) {
    if (!parseCidr(entry)) ctx.addIssue({ code: 'custom', message: `"${entry}" is not a CIDR block (e.g. 10.0.0.0/8 or fd00::/8)` });
  }
});

export const configSchema = z
  .object({
    listen: z
      .object({
        ip: z.string().min(1).default('0.0.0.0'),
        port: port.default(2222),
      })
      .prefault({}),
    http: z
      .object({
        /**
         * Origins besides the gateway's own whose pages may open sockets and
         * post logins (`host:port`, `*` for either part; `*:*` is WebSSH2's
         * default, any origin). Empty: the own origin only.
         */
        origins: z.array(z.string().min(1)).default([]),
        /** How long credentials from an HTTP login route wait for the page's socket. */
        handoffTtlMs: positiveMs.max(10 * 60_000).default(60_000),
        /** Hand-offs waiting in the cluster at once; beyond, the login routes answer 503. */
        handoffMaxPending: count.default(1_000),
        /**
         * A directory holding another browser client to serve instead of ours
         * (e.g. the webssh2_client package's `client/public`).
         */
        clientDir: z.string().min(1).optional(),
        /** Peers (CIDR) whose X-Forwarded-For / -Proto are believed; empty: none. */
        trustedProxies: cidrList.default([]),
        /** Serve the page's source maps (`/ssh/assets/*.map`); off, they answer 404. */
        serveSourceMaps: z.boolean().default(false),
      })
      .prefault({}),
    limits: z
      .object({
        /** Logins a client IP may start per window (many users may share a NAT's address). */
        loginsPerIp: count.default(100),
        /** Failed logins to one user@address:port (as resolved), from anywhere, before it is locked for the window. */
        loginFailuresPerTarget: count.default(10),
        /** Sockets one client address may hold open on one gateway. */
        socketsPerIp: count.default(64),
        /** A socket that has not logged in or resumed within this long is closed (time logging in does not count). */
        authTimeoutMs: positiveMs.default(120_000),
        /** Credential hand-offs (HTTP login routes) one client address may leave per login window. */
        handoffsPerIp: count.default(30),
        /** Logins under way at once from one client address (each holds a worker's setup slot). */
        loginsInFlightPerIp: count.default(8),
        /** IPv6 clients count as their network of this many bits for every per-address limit. */
        ipv6PrefixBits: z.number().int().min(1).max(128).default(64),
        loginWindowMs: positiveMs.default(5 * 60_000),
        /** New sessions a client IP may open per window. */
        sessionsPerIp: count.default(100),
        sessionWindowMs: positiveMs.default(60_000),
        /** Inbound Socket.IO events per second per socket; beyond, events are dropped, at twice that the socket is closed. */
        eventsPerSecond: count.default(1000),
        /** Bytes a socket may send per second; beyond, the gateway stops reading it for a while. */
        inboundBytesPerSecond: bytes.min(64 * 1024).default(4 * 1024 * 1024),
        /** `exec` commands one session may run at once (each holds an SSH channel and its buffers). */
        execsPerSession: count.max(64).default(4),
      })
      .prefault({}),
    header: z
      .object({
        /** A label above the terminal, e.g. the environment's name. */
        text: z.string().max(100).optional(),
        /** CSS colour of the label's bar. */
        background: z.string().regex(/^[a-zA-Z0-9#(),.\s-]{1,64}$/, 'must be a CSS colour').optional(),
      })
      .prefault({}),
    sso: z
      .object({
        /** POST logins may take credentials from the headers an SSO proxy sets. */
        enabled: z.boolean().default(false),
        /** Addresses (CIDR) whose SSO headers are believed; empty: any peer. */
        trustedProxies: cidrList.default([]),
        headerMapping: z
          .object({
            username: httpHeaderName.default('x-apm-username'),
            password: httpHeaderName.default('x-apm-password'),
            session: httpHeaderName.default('x-apm-session'),
          })
          .prefault({}),
      })
      .prefault({}),
    ssh: z
      .object({
        /** Used when a login route names no host. */
        host: z.string().min(1).max(255).optional(),
        /** Used when the client names no port. */
        port: port.default(22),
        term: z.string().regex(/^[A-Za-z0-9._+-]{1,64}$/).default('xterm-256color'),
        readyTimeoutMs: positiveMs.default(20_000),
        keepaliveIntervalMs: positiveMs.default(120_000),
        keepaliveCountMax: z.number().int().min(1).default(10),
        /** Empty means any destination: an open proxy. */
        allowedSubnets: cidrList.default([]),
        /** Empty means any port. */
        allowedPorts: z.array(port).default([]),
        /** Every session goes to `host`, whatever the client asks for. */
        hostLock: z.boolean().default(false),
        alwaysSendKeyboardInteractivePrompts: z.boolean().default(false),
        /** How long a forwarded keyboard-interactive round may wait for the user. */
        promptTimeoutMs: positiveMs.default(120_000),
        /**
         * The whole login, from a worker taking it to its result, prompts and
         * host-key questions included: how long it may hold a setup slot.
         */
        loginTimeoutMs: positiveMs.default(180_000),
        /** Keyboard-interactive rounds one login may take (a hostile server can send them forever). */
        maxKeyboardInteractiveRounds: count.max(100).default(10),
        hostKeyVerification: z
          .object({
            /**
             * On by default, unlike WebSSH2 (where any host key, and so any
             * man in the middle, is accepted unless an operator opts in).
             */
            enabled: z.boolean().default(true),
            /** A key the trust store does not know: ask the user (trusted cluster-wide on accept), tell them, or refuse. */
            unknownKeyAction: z.enum(['prompt', 'alert', 'reject']).default('prompt'),
            /** An OpenSSH known_hosts file that seeds the trust store when a worker starts. */
            knownHostsFile: z.string().min(1).optional(),
            /** Entries the trust store may hold; keys users accept beyond it hold for their login only. */
            maxStoredKeys: count.default(10_000),
          })
          .prefault({}),
      })
      .prefault({}),
    options: z
      .object({
        /** WebSSH2's default: the client may ask to type the login password into the shell. */
        allowReplay: z.boolean().default(true),
        /** Replayed credentials end with CRLF instead of LF. */
        replayCrlf: z.boolean().default(false),
        allowReauth: z.boolean().default(true),
        allowReconnect: z.boolean().default(true),
        autoLog: z.boolean().default(false),
      })
      .prefault({}),
    session: z
      .object({
        /** Cluster secret: derives the keys that seal credentials and hash resume tokens. */
        secret: z.string().min(32, 'must be at least 32 characters').optional(),
        detachTimeoutMs: positiveMs.default(5 * 60_000),
        /** How long a resume of a session that ended is told so ('expired'), rather than 'unknown'. */
        endedNoteTtlMs: positiveMs.default(15 * 60_000),
        /** A session with no input and no output for this long is closed. */
        idleTimeoutMs: msOrOff.default(60 * 60_000),
        /** A session is closed this long after it started, whatever it is doing. */
        maxDurationMs: msOrOff.default(0),
        replayBytes: bytes.min(64 * 1024).default(2 * 1024 * 1024),
      })
      .prefault({}),
    flow: z
      .object({
        /** Unacknowledged output above which the worker stops reading the SSH channel. */
        highWaterBytes: bytes.default(2 * 1024 * 1024),
        /** The worker reads again once unacknowledged output falls below this. */
        lowWaterBytes: bytes.default(512 * 1024),
        /**
         * Input accepted from a client but not yet taken by the remote side's
         * SSH window; beyond it input is refused (the client is asked to pause at half).
         */
        inputWindowBytes: bytes.min(64 * 1024).default(1024 * 1024),
      })
      .prefault({}),
    cluster: z
      .object({
        /**
         * How the cluster reaches Redis: one of `redisUrl`, `redisSentinels`
         * (with `redisSentinelName`) or `redisClusterNodes` (redis/topology.ts).
         * None: all-in-one mode (gateway and worker in one process, in-memory bus).
         */
        redisUrl: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
        redisSentinels: z.array(hostPort).min(1).optional(),
        redisSentinelName: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/).optional(),
        redisClusterNodes: z.array(hostPort).min(1).optional(),
        /** AUTH/ACL for Sentinel and Cluster mode (REDIS_URL carries its own). */
        redisUsername: z.string().min(1).optional(),
        redisPassword: z.string().min(1).optional(),
        /** The sentinels' own AUTH, when they require one. */
        redisSentinelPassword: z.string().min(1).optional(),
        /** TLS to Redis (and to the sentinels) in Sentinel and Cluster mode; REDIS_URL says it with rediss://. */
        redisTls: z.boolean().default(false),
        keyPrefix: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default('wsf'),
        workerMaxSessions: z.number().int().min(1).default(500),
        /** How many SSH logins one worker runs at once. */
        workerSetupConcurrency: z.number().int().min(1).default(32),
        placementTimeoutMs: positiveMs.default(30_000),
        /** Leases and inboxes expire this long after their owner stops renewing them. */
        leaseTtlMs: positiveMs.min(1_000).default(8_000),
        heartbeatIntervalMs: positiveMs.default(2_000),
        /** How long a SIGTERMed worker keeps serving its sessions before ending them. */
        drainTimeoutMs: positiveMs.default(10 * 60_000),
        /** Stable id for this process (defaults to hostname + random suffix). */
        instanceId: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/).optional(),
      })
      .prefault({}),
    metrics: z
      .object({
        /** Every role's port for /healthz, /readyz and /metrics (keep it off the public network). */
        port: port.default(9090),
        /** If set, /metrics asks for `Authorization: Bearer <token>`. */
        token: z.string().min(16, 'must be at least 16 characters').optional(),
      })
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    if (config.flow.lowWaterBytes >= config.flow.highWaterBytes) {
      ctx.addIssue({ code: 'custom', path: ['flow', 'lowWaterBytes'], message: 'must be below flow.highWaterBytes' });
    }
    if (config.ssh.hostLock && !config.ssh.host) {
      ctx.addIssue({ code: 'custom', path: ['ssh', 'hostLock'], message: 'needs ssh.host (WEBSSH2_SSH_HOST): the host sessions are locked to' });
    }
    if (config.session.replayBytes < config.flow.highWaterBytes) {
      ctx.addIssue({ code: 'custom', path: ['session', 'replayBytes'], message: 'must be at least flow.highWaterBytes, or a resume could find its bytes gone' });
    }
    for (const problem of redisTopologyProblems(config.cluster)) ctx.addIssue({ code: 'custom', path: ['cluster', problem.setting], message: problem.message });
    if (config.cluster.heartbeatIntervalMs * 2 > config.cluster.leaseTtlMs) {
      ctx.addIssue({ code: 'custom', path: ['cluster', 'heartbeatIntervalMs'], message: 'must be at most half of cluster.leaseTtlMs' });
    }
  });

export type Config = z.infer<typeof configSchema>;
