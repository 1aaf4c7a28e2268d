/**
 * A time limit on an SSH login that stops counting while a prompt waits for a
 * human (who has a limit of their own), so a slow 2FA code does not read as
 * an unreachable host.
 */
export class LoginDeadline {
  private timer: NodeJS.Timeout | undefined;
  private remainingMs: number;
  private startedAt = 0;

  constructor(limitMs: number, private readonly onExpired: () => void) {
    this.remainingMs = limitMs;
    this.resume();
  }

  suspend(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.remainingMs -= Date.now() - this.startedAt;
  }

  resume(): void {
    if (this.timer) return;
    this.startedAt = Date.now();
    this.timer = setTimeout(this.onExpired, Math.max(0, this.remainingMs));
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
