/**
 * The Redis key layout, in one place. Every key a process touches is built
 * here from the cluster's key prefix <p> (FLEET_REDIS_KEY_PREFIX), so one Redis can
 * serve several clusters and an operator can read the layout off this file
 * (docs/protocol/bus.md says who writes and reads each, and which share a
 * Redis Cluster slot). Braces are hash tags: on a Redis Cluster only the part
 * inside the first {...} picks the slot, so keys that one script or
 * transaction touches together carry the same tag, and keys that belong to
 * different sessions or processes carry different ones and spread over the
 * shards.
 *
 *   <p>:inbox:gw:<id>        stream   a gateway's inbox (TTL, renewed by its heartbeat)
 *   <p>:inbox:worker:<id>    stream   a worker's inbox (TTL, renewed by its heartbeat);
 *                                     its existence is the worker's liveness
 *   <p>:session:{<sid>}      hash     session record and lease: owner, fence, state,
 *                                     resume-token hash, user/host (TTL: the lease once
 *                                     claimed; placement + SSH ready timeouts while pending)
 *   <p>:ended:{<sid>}        string   why a session ended, for resume attempts (TTL);
 *                                     one slot with its record (release, lookup)
 *   <p>:handoff:{handoffs}:<hash>  string  sealed credentials from an HTTP login route, waiting
 *                                     for the page's socket (TTL, taken once by GETDEL)
 *   <p>:handoffs:{handoffs}  zset     the hand-offs pending, scored by expiry: their number is
 *                                     bounded (TTL >= the hand-off TTL); one slot with them
 *   <p>:hostkeys             hash     trusted SSH host keys: field <host>:<port>:<key type>,
 *                                     value the base64 key (known_hosts seeds it, accepted
 *                                     prompts add to it; the cluster's trust, never expires)
 *   <p>:limit:<name>:<key>   string   rate-limiter-flexible counters (login attempts, new
 *                                     sessions and hand-offs per client address; TTL = window)
 *   <p>:attempts:<kind>:{<key>}:failures  string  refused attempts in the window (TTL = window)
 *   <p>:attempts:<kind>:{<key>}:slots     zset    attempts under way, scored by when they lapse
 *                                     (TTL >= the longest hold); kinds: `target` (logins to one
 *                                     user@address:port), `client` (logins under way per client
 *                                     address). The braces keep a key's two in one Cluster slot.
 *   <p>:{bull}:sessions:*    BullMQ   the placement queue: BullMQ's scripts touch several of
 *                                     its keys at once, so its prefix carries one tag
 */
import type { InboxAddress } from './messages.js';

export const PLACEMENT_QUEUE_NAME = 'sessions';

export interface KeyLayout {
  readonly prefix: string;
  inbox(address: InboxAddress): string;
  session(sid: string): string;
  endedSession(sid: string): string;
  handoff(idHash: string): string;
  /** The index of pending hand-offs (their number is bounded). */
  pendingHandoffs(): string;
  hostKeys(): string;
  /** rate-limiter-flexible's key prefix for one limit; it appends `:<key>`. */
  limiterPrefix(name: string): string;
  /** The failure counter and slot set of one key of an attempt limit (limits/attempt-slots.ts). */
  attemptSlots(kind: string, key: string): { failures: string; slots: string };
  /** BullMQ's own prefix, one hash tag for the whole queue; BullMQ appends `:<queue>:<suffix>`. */
  bullPrefix(): string;
}

export function keyLayout(prefix: string): KeyLayout {
  return {
    prefix,
    inbox: (address) => `${prefix}:inbox:${address}`,
    session: (sid) => `${prefix}:session:{${sid}}`,
    endedSession: (sid) => `${prefix}:ended:{${sid}}`,
    handoff: (idHash) => `${prefix}:handoff:{handoffs}:${idHash}`,
    pendingHandoffs: () => `${prefix}:handoffs:{handoffs}`,
    hostKeys: () => `${prefix}:hostkeys`,
    limiterPrefix: (name) => `${prefix}:limit:${name}`,
    attemptSlots: (kind, key) => ({ failures: `${prefix}:attempts:${kind}:{${key}}:failures`, slots: `${prefix}:attempts:${kind}:{${key}}:slots` }),
    bullPrefix: () => `${prefix}:{bull}`,
  };
}
