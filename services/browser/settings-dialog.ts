/**
 * The settings dialog (`#settings-dialog`): font size, font family and
 * theme. A change applies at once and is saved; Close just closes.
 */
import { checkSettings, type TerminalSettings } from './settings.js';
import { THEME_LABELS, THEME_NAMES } from './themes.js';

export class SettingsDialog {
  private readonly fontSize: HTMLInputElement;
  private readonly fontFamily: HTMLInputElement;
  private readonly theme: HTMLSelectElement;

  constructor(
    private readonly dialog: HTMLDialogElement,
    private settings: TerminalSettings,
    onChange: (settings: TerminalSettings) => void,
  ) {
    this.fontSize = dialog.querySelector('#font-size')!;
    this.fontFamily = dialog.querySelector('#font-family')!;
    this.theme = dialog.querySelector('#theme')!;
    this.theme.replaceChildren(...THEME_NAMES.map((name) => new Option(THEME_LABELS[name], name)));
    const changed = () => {
      this.settings = checkSettings({
        fontSize: this.fontSize.valueAsNumber,
        fontFamily: this.fontFamily.value,
        theme: this.theme.value,
      });
      onChange(this.settings);
    };
    this.fontSize.addEventListener('input', changed);
    this.fontSize.addEventListener('change', changed);
    this.fontFamily.addEventListener('change', changed);
    this.theme.addEventListener('change', changed);
    dialog.querySelector('#settings-close')!.addEventListener('click', () => dialog.close());
  }

  open(): void {
    this.fontSize.value = String(this.settings.fontSize);
    this.fontFamily.value = this.settings.fontFamily;
    this.theme.value = this.settings.theme;
    this.dialog.showModal();
    this.fontSize.focus();
  }
}
