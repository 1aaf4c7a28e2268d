/**
 * What the bench and its crowd processes say to each other over IPC: the
 * crowd client (crowd-client.ts) takes requests and answers each by id; the
 * echo target (echo-target.ts) announces where it listens.
 */
import type { ShellTarget } from '../shell.js';

export type CrowdCommand =
  | { kind: 'start'; url: string; target: ShellTarget }
  /** Opens terminals until `to` are open (failures are counted, not retried). */
  | { kind: 'grow'; to: number }
  /** Types `rate` keystrokes per second, spread round-robin over the crowd, for `durationMs`. */
  | { kind: 'type'; rate: number; durationMs: number };

export type CrowdRequest = CrowdCommand & { id: number };

export interface GrowResult {
  open: number;
  failed: number;
  /** A few distinct failure messages. */
  failures: string[];
  seconds: number;
}

export interface TypingResult {
  sent: number;
  echoed: number;
  /** Keystrokes not sent because that terminal's previous one had not echoed yet. */
  skipped: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
}

export type CrowdReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export type TargetAnnouncement = ShellTarget;
