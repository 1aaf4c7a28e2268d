/**
 * The search bar (`#search`): finds text in the terminal's buffer with the
 * search addon. Enter finds the next match, Shift+Enter the previous,
 * Escape closes the bar and gives the keyboard back to the terminal.
 */
import type { ISearchOptions, SearchAddon } from '@xterm/addon-search';

const SEARCH_OPTIONS: ISearchOptions = { caseSensitive: false, incremental: false };

export class SearchBar {
  private readonly input: HTMLInputElement;
  private readonly result: HTMLElement;

  constructor(
    private readonly bar: HTMLElement,
    private readonly addon: SearchAddon,
    private readonly returnFocus: () => void,
  ) {
    this.input = bar.querySelector('#search-input')!;
    this.result = bar.querySelector('#search-result')!;
    bar.querySelector('#search-next')!.addEventListener('click', () => this.find('next'));
    bar.querySelector('#search-previous')!.addEventListener('click', () => this.find('previous'));
    bar.querySelector('#search-close')!.addEventListener('click', () => this.close());
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.find(event.shiftKey ? 'previous' : 'next');
      } else if (event.key === 'Escape') {
        event.preventDefault();
        this.close();
      }
    });
    this.input.addEventListener('input', () => {
      this.result.textContent = '';
    });
  }

  open(): void {
    this.bar.hidden = false;
    this.input.select();
    this.input.focus();
  }

  close(): void {
    this.bar.hidden = true;
    this.addon.clearDecorations();
    this.result.textContent = '';
    this.returnFocus();
  }

  private find(direction: 'next' | 'previous'): void {
    const term = this.input.value;
    if (term === '') return;
    const found = direction === 'next' ? this.addon.findNext(term, SEARCH_OPTIONS) : this.addon.findPrevious(term, SEARCH_OPTIONS);
    this.result.textContent = found ? '' : 'No match';
  }
}
