/**
 * What the page says about the connection: `#status` (one of the page's
 * statuses), `#message` (errors and notices), `#footer` and `#header` (the
 * server's `updateUI`), and the `#reconnecting` banner over the terminal.
 */
import type { LinkPhase } from './session-link.js';

export const PAGE_STATUSES = ['Disconnected', 'Connecting…', 'Authenticating…', 'Connected', 'Reconnecting…', 'Session ended'] as const;
export type PageStatus = (typeof PAGE_STATUSES)[number];

export const STATUS_OF_PHASE: Record<LinkPhase, PageStatus> = {
  idle: 'Disconnected',
  connecting: 'Connecting…',
  authenticating: 'Authenticating…',
  live: 'Connected',
  reconnecting: 'Reconnecting…',
  ended: 'Session ended',
};

export function isPageStatus(text: string): text is PageStatus {
  return (PAGE_STATUSES as readonly string[]).includes(text);
}

export class StatusBar {
  private readonly status: HTMLElement;
  private readonly message: HTMLElement;
  private readonly footer: HTMLElement;
  private readonly header: HTMLElement;
  private readonly reconnecting: HTMLElement;

  constructor(document: Document) {
    const find = (id: string) => document.getElementById(id)!;
    this.status = find('status');
    this.message = find('message');
    this.footer = find('footer');
    this.header = find('header');
    this.reconnecting = find('reconnecting');
  }

  setStatus(status: PageStatus): void {
    this.status.textContent = status;
    this.reconnecting.hidden = status !== 'Reconnecting…';
  }

  showMessage(text: string, kind: 'info' | 'error' = 'info'): void {
    this.message.textContent = text;
    this.message.title = text;
    this.message.classList.toggle('error', kind === 'error');
  }

  clearMessage(): void {
    this.showMessage('');
  }

  setFooter(text: string): void {
    this.footer.textContent = text;
  }

  setHeader(text: string): void {
    this.header.textContent = text;
  }

  /** The operator's header colour (config.header.background), if the browser takes it as one. */
  setHeaderBackground(color: string): void {
    if (CSS.supports('background', color)) this.header.style.background = color;
  }
}
