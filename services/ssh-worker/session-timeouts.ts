/**
 * The clocks that end a session whatever its user is doing: idle (no input
 * and no output for FLEET_IDLE_TIMEOUT_MS) and maximum duration
 * (FLEET_MAX_SESSION_DURATION_MS). Activity only records a time: one timer
 * per clock, re-armed when it fires early, so the hot path stays cheap.
 */
export interface TimeoutSettings {
  /** 0: no idle limit. */
  idleTimeoutMs: number;
  /** 0: no duration limit. */
  maxDurationMs: number;
}

export class SessionTimeouts {
  private lastActivity = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private durationTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: TimeoutSettings,
    private readonly expired: (message: string) => void,
  ) {}

  start(): void {
    const { idleTimeoutMs, maxDurationMs } = this.settings;
    this.lastActivity = Date.now();
    if (idleTimeoutMs > 0) this.idleTimer = setTimeout(() => this.checkIdle(), idleTimeoutMs);
    if (maxDurationMs > 0) {
      this.durationTimer = setTimeout(() => this.expire(`Session closed: it reached the maximum duration of ${describe(maxDurationMs)}`), maxDurationMs);
    }
  }

  activity(): void {
    this.lastActivity = Date.now();
  }

  stop(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.durationTimer);
  }

  private checkIdle(): void {
    const { idleTimeoutMs } = this.settings;
    const idleFor = Date.now() - this.lastActivity;
    if (idleFor >= idleTimeoutMs) this.expire(`Session closed after ${describe(idleTimeoutMs)} without input or output`);
    else this.idleTimer = setTimeout(() => this.checkIdle(), idleTimeoutMs - idleFor);
  }

  private expire(message: string): void {
    this.stop();
    this.expired(message);
  }
}

function describe(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 100) / 10} s`;
}
