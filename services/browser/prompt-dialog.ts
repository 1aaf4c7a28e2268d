/**
 * Keyboard-interactive login rounds (`prompt`, e.g. a 2FA code) in
 * `<dialog id="prompt-dialog">`: the round's title and message, one labelled
 * field per prompt, and its buttons. Submit answers
 * `{id, action:'submit', inputs:{<field id>: value}}`; any other button, or
 * Escape, answers with that action (Cancel: 'cancel') and no inputs. Rounds
 * may follow one another; each replaces the last.
 */
import type { PromptButton, PromptMessage } from '../../shared/protocol/events.js';
import type { PromptResponse } from '../../shared/protocol/inbound.js';

const DEFAULT_BUTTONS: PromptButton[] = [
  { action: 'submit', label: 'Submit', variant: 'primary' },
  { action: 'cancel', label: 'Cancel', variant: 'secondary' },
];

export class PromptDialog {
  private readonly form: HTMLFormElement;
  private readonly title: HTMLElement;
  private readonly message: HTMLElement;
  private readonly fields: HTMLElement;
  private readonly buttons: HTMLElement;
  private current: PromptMessage | undefined;

  constructor(
    private readonly dialog: HTMLDialogElement,
    private readonly answer: (response: PromptResponse) => void,
  ) {
    this.form = dialog.querySelector('form')!;
    this.title = dialog.querySelector('#prompt-title')!;
    this.message = dialog.querySelector('#prompt-message')!;
    this.fields = dialog.querySelector('#prompt-fields')!;
    this.buttons = dialog.querySelector('#prompt-buttons')!;
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.respond('submit');
    });
    // Escape: the user backs out of the login.
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      this.respond('cancel');
    });
  }

  show(prompt: PromptMessage): void {
    this.current = prompt;
    this.title.textContent = prompt.title || 'Authentication';
    this.message.textContent = prompt.message;
    this.message.hidden = prompt.message === '';
    this.fields.replaceChildren(...prompt.inputs.map((field, index) => fieldRow(field, index)));
    const buttons = prompt.buttons.length > 0 ? prompt.buttons : DEFAULT_BUTTONS;
    this.buttons.replaceChildren(...buttons.map((button) => this.button(button)));
    if (!this.dialog.open) this.dialog.showModal();
    const first = this.fields.querySelector('input');
    if (first) first.focus();
  }

  /** The login ended (or its socket went away): no answer is wanted any more. */
  dismiss(): void {
    this.current = undefined;
    if (this.dialog.open) this.dialog.close();
    this.fields.replaceChildren();
  }

  private button({ action, label, variant }: PromptButton): HTMLButtonElement {
    const button = document.createElement('button');
    button.textContent = label;
    button.className = variant === 'primary' || action === 'submit' ? 'primary' : 'secondary';
    // Submit goes through the form so required fields are checked first.
    button.type = action === 'submit' ? 'submit' : 'button';
    if (action !== 'submit') button.addEventListener('click', () => this.respond(action));
    return button;
  }

  private respond(action: string): void {
    const prompt = this.current;
    if (!prompt) return;
    const response: PromptResponse =
      action === 'submit' ? { id: prompt.id, action, inputs: this.answers(prompt) } : { id: prompt.id, action };
    this.dismiss();
    this.answer(response);
  }

  private answers(prompt: PromptMessage): Record<string, string> {
    const inputs = this.fields.querySelectorAll('input');
    return Object.fromEntries(prompt.inputs.map((field, index) => [field.id, inputs[index]?.value ?? '']));
  }
}

function fieldRow(field: PromptMessage['inputs'][number], index: number): HTMLElement {
  const row = document.createElement('div');
  row.className = 'field';
  const label = document.createElement('label');
  const input = document.createElement('input');
  input.id = `prompt-field-${index}`;
  input.type = field.type === 'password' ? 'password' : 'text';
  input.required = field.required;
  input.autocomplete = 'off';
  input.spellcheck = false;
  label.htmlFor = input.id;
  label.textContent = field.label;
  row.append(label, input);
  return row;
}
