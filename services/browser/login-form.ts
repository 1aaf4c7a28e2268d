/**
 * The login panel: `#login-form` with host, port, user, password or private
 * key (pasted, or read from a file) and passphrase, and the terminal type.
 * It checks what the server would refuse anyway, so the user hears about it
 * at once, and forgets the secrets as soon as they have been handed over.
 */
import type { AuthenticatePayload } from '../../shared/protocol/inbound.js';
import { MAX_PRIVATE_KEY_LENGTH, MAX_TERM_LENGTH, TERM_NAME_PATTERN } from '../../shared/protocol/limits.js';
import { tcpPort } from './config.js';

export type Credentials = Omit<AuthenticatePayload, 'cols' | 'rows' | 'forwardAllKeyboardInteractivePrompts'>;

export interface LoginPrefill {
  host?: string | null;
  port?: number;
  username?: string | null;
  term?: string | null;
}


export class LoginForm {
  private readonly form: HTMLFormElement;
  private readonly host: HTMLInputElement;
  private readonly port: HTMLInputElement;
  private readonly username: HTMLInputElement;
  private readonly password: HTMLInputElement;
  private readonly privateKey: HTMLTextAreaElement;
  private readonly privateKeyFile: HTMLInputElement;
  private readonly passphrase: HTMLInputElement;
  private readonly term: HTMLInputElement;
  private readonly submit: HTMLButtonElement;
  private readonly notice: HTMLElement;
  private readonly error: HTMLElement;

  constructor(
    private readonly panel: HTMLElement,
    onSubmit: (credentials: Credentials) => void,
  ) {
    const find = <T extends HTMLElement>(selector: string) => panel.querySelector<T>(selector)!;
    this.form = find<HTMLFormElement>('#login-form');
    this.host = find('#host');
    this.port = find('#port');
    this.username = find('#username');
    this.password = find('#password');
    this.privateKey = find('#private-key');
    this.privateKeyFile = find('#private-key-file');
    this.passphrase = find('#passphrase');
    this.term = find('#term');
    this.submit = find('#login-submit');
    this.notice = find('#login-notice');
    this.error = find('#login-error');

    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      const credentials = this.read();
      if (credentials) onSubmit(credentials);
    });
    this.privateKeyFile.addEventListener('change', () => void this.readKeyFile());
  }

  get visible(): boolean {
    return !this.panel.hidden;
  }

  /** Shows the panel, filling in what is known; the user's own entries win over defaults. */
  show(prefill: LoginPrefill, notice?: string): void {
    fillIfEmpty(this.host, prefill.host);
    fillIfEmpty(this.username, prefill.username);
    fillIfEmpty(this.term, prefill.term);
    if (prefill.port !== undefined && this.port.value === '') this.port.value = String(prefill.port);
    this.notice.textContent = notice ?? '';
    this.notice.hidden = !notice;
    this.setBusy(false);
    this.panel.hidden = false;
    const firstEmpty = [this.host, this.port, this.username, this.password].find((input) => input.value === '');
    (firstEmpty ?? this.password).focus();
  }

  /** The gateway serves this page for one host (`/ssh/host/<host>`): no other may be asked for. */
  lockTarget(target: { host: string; port: number }): void {
    this.host.value = target.host;
    this.port.value = String(target.port);
    this.host.readOnly = true;
    this.port.readOnly = true;
  }

  hide(): void {
    this.panel.hidden = true;
    this.error.textContent = '';
  }

  showError(message: string): void {
    this.error.textContent = message;
    this.setBusy(false);
  }

  /** While a login is on its way: one submission at a time. */
  setBusy(busy: boolean): void {
    this.submit.disabled = busy;
    this.form.setAttribute('aria-busy', String(busy));
  }

  /** Secrets stay in the page no longer than the login needs them. */
  forgetSecrets(): void {
    this.password.value = '';
    this.privateKey.value = '';
    this.privateKeyFile.value = '';
    this.passphrase.value = '';
  }

  private read(): Credentials | undefined {
    this.error.textContent = '';
    if (!this.form.reportValidity()) return undefined;
    const host = this.host.value.trim();
    const username = this.username.value.trim();
    const port = tcpPort(this.port.value);
    const term = this.term.value.trim();
    const privateKey = this.privateKey.value.trim() === '' ? '' : this.privateKey.value;
    if (port === undefined) return this.refuse(this.port, 'The port must be a number from 1 to 65535');
    if (this.password.value === '' && privateKey === '') {
      return this.refuse(this.password, 'Enter a password or a private key');
    }
    if (term !== '' && (term.length > MAX_TERM_LENGTH || !TERM_NAME_PATTERN.test(term))) {
      return this.refuse(this.term, 'The terminal type may contain letters, digits and . _ + - only');
    }
    return {
      host,
      port,
      username,
      ...(this.password.value !== '' && { password: this.password.value }),
      ...(privateKey !== '' && { privateKey }),
      ...(this.passphrase.value !== '' && { passphrase: this.passphrase.value }),
      ...(term !== '' && { term }),
    };
  }

  private refuse(field: HTMLElement, message: string): undefined {
    this.error.textContent = message;
    field.focus();
    return undefined;
  }

  private async readKeyFile(): Promise<void> {
    const file = this.privateKeyFile.files?.[0];
    if (!file) return;
    if (file.size > MAX_PRIVATE_KEY_LENGTH) {
      this.showError(`${file.name} is too large to be a private key`);
      return;
    }
    try {
      this.privateKey.value = await file.text();
      this.error.textContent = '';
    } catch {
      this.showError(`Could not read ${file.name}`);
    }
  }
}

function fillIfEmpty(input: HTMLInputElement, value: string | null | undefined): void {
  if (value && input.value === '') input.value = value;
}
