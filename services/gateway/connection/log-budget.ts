/**
 * Log lines a client can cause by misbehaving (bad payloads, unknown events,
 * refused attempts), limited per socket: a client sending a thousand bad
 * events a second must not write a thousand lines a second. The first
 * `limit` lines are written; then one line says the rest of this socket's
 * are not; then nothing. Client-chosen text in them is cut short by the
 * caller (an event name can be as long as a message is allowed to be).
 */
import type { Logger } from '../../../shared/log/logger.js';

export class LogBudget {
  private written = 0;

  constructor(
    private readonly log: Logger,
    private readonly limit = 20,
  ) {}

  warn(fields: Record<string, unknown>, message: string): void {
    if (this.spend()) this.log.warn(fields, message);
  }

  info(fields: Record<string, unknown>, message: string): void {
    if (this.spend()) this.log.info(fields, message);
  }

  private spend(): boolean {
    if (this.written > this.limit) return false;
    this.written++;
    if (this.written <= this.limit) return true;
    this.log.warn({ event: 'log-budget-spent', lines: this.limit }, 'this socket keeps misbehaving; its further problems are not logged');
    return false;
  }
}
