/**
 * An unknown SSH host key (`hostkey:verify`) in `<dialog id="hostkey-dialog">`:
 * host, port, key type and SHA256 fingerprint, with Accept and Reject.
 * Accepting makes the cluster trust the key for every later login; Escape
 * rejects, as closing the door is the safe default.
 */
import type { HostKeyVerifyRequest } from '../../shared/protocol/events.js';
import type { HostKeyVerifyResponse } from '../../shared/protocol/inbound.js';

export type HostKeyAction = Exclude<HostKeyVerifyResponse['action'], 'trusted'>;

export class HostKeyDialog {
  private readonly fields: Record<'host' | 'port' | 'algorithm' | 'fingerprint', HTMLElement>;
  private asking = false;

  constructor(
    private readonly dialog: HTMLDialogElement,
    private readonly answer: (action: HostKeyAction) => void,
  ) {
    const find = (id: string) => dialog.querySelector<HTMLElement>(`#${id}`)!;
    this.fields = { host: find('hostkey-host'), port: find('hostkey-port'), algorithm: find('hostkey-algorithm'), fingerprint: find('hostkey-fingerprint') };
    find('hostkey-accept').addEventListener('click', () => this.respond('accept'));
    find('hostkey-reject').addEventListener('click', () => this.respond('reject'));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      this.respond('reject');
    });
  }

  show(request: HostKeyVerifyRequest): void {
    this.asking = true;
    this.fields.host.textContent = request.host;
    this.fields.port.textContent = String(request.port);
    this.fields.algorithm.textContent = request.algorithm;
    this.fields.fingerprint.textContent = request.fingerprint;
    if (!this.dialog.open) this.dialog.showModal();
    // Reject has the focus: an Enter typed out of habit must not trust a key.
    this.dialog.querySelector<HTMLButtonElement>('#hostkey-reject')!.focus();
  }

  /** The login ended (or its socket went away): no answer is wanted any more. */
  dismiss(): void {
    this.asking = false;
    if (this.dialog.open) this.dialog.close();
  }

  private respond(action: HostKeyAction): void {
    if (!this.asking) return;
    this.dismiss();
    this.answer(action);
  }
}
