/**
 * The menu button (`#menu-button`) and its menu: the WAI-ARIA menu button
 * pattern. Enter, Space or ArrowDown open it on the first item, ArrowUp on
 * the last; arrows, Home and End move; Escape or Tab close it; a click
 * outside closes it. Items are buttons with a `data-action`; disabled ones
 * are skipped.
 */
export class Menu<Action extends string> {
  private readonly items: HTMLButtonElement[];

  constructor(
    private readonly button: HTMLButtonElement,
    private readonly menu: HTMLElement,
    onSelect: (action: Action) => void,
  ) {
    this.items = [...menu.querySelectorAll<HTMLButtonElement>('button[data-action]')];
    button.addEventListener('click', () => (this.isOpen ? this.close(true) : this.open('first')));
    button.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        this.open(event.key === 'ArrowDown' ? 'first' : 'last');
      }
    });
    menu.addEventListener('click', (event) => {
      const item = (event.target as Element).closest<HTMLButtonElement>('button[data-action]');
      if (!item || item.disabled) return;
      this.close(false);
      onSelect(item.dataset['action'] as Action);
    });
    menu.addEventListener('keydown', (event) => this.keydown(event));
    document.addEventListener('pointerdown', (event) => {
      const target = event.target as Node;
      if (this.isOpen && !menu.contains(target) && !button.contains(target)) this.close(false);
    });
  }

  get isOpen(): boolean {
    return !this.menu.hidden;
  }

  setEnabled(action: Action, enabled: boolean): void {
    for (const item of this.items) if (item.dataset['action'] === action) item.disabled = !enabled;
  }

  private open(focus: 'first' | 'last'): void {
    this.menu.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    const enabled = this.enabledItems();
    (focus === 'first' ? enabled[0] : enabled.at(-1))?.focus();
  }

  private close(returnFocus: boolean): void {
    this.menu.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    if (returnFocus) this.button.focus();
  }

  private keydown(event: KeyboardEvent): void {
    const enabled = this.enabledItems();
    const index = enabled.indexOf(document.activeElement as HTMLButtonElement);
    const move = (to: number) => {
      event.preventDefault();
      enabled[(to + enabled.length) % enabled.length]?.focus();
    };
    switch (event.key) {
      case 'ArrowDown':
        return move(index + 1);
      case 'ArrowUp':
        return move(index - 1);
      case 'Home':
        return move(0);
      case 'End':
        return move(enabled.length - 1);
      case 'Escape':
        event.preventDefault();
        return this.close(true);
      case 'Tab':
        return this.close(false);
    }
  }

  private enabledItems(): HTMLButtonElement[] {
    return this.items.filter((item) => !item.disabled);
  }
}
