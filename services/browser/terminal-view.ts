/**
 * The xterm.js terminal in `#terminal`, with its addons: fit (the terminal
 * follows its container's size), search and web links. It knows nothing of
 * sockets; main.ts connects its input, output and size to the session.
 */
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal, type IDisposable } from '@xterm/xterm';
import type { TerminalSettings } from './settings.js';
import { TERMINAL_THEMES } from './themes.js';

/** Window resizes arrive in bursts; the remote pty needs only the last size. */
const RESIZE_DEBOUNCE_MS = 100;
const SCROLLBACK_LINES = 10_000;

export interface TerminalSize {
  cols: number;
  rows: number;
}

export class TerminalView {
  readonly terminal: Terminal;
  readonly search = new SearchAddon();
  private readonly fitAddon = new FitAddon();
  private resizeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(container: HTMLElement, settings: TerminalSettings) {
    this.terminal = new Terminal({
      fontSize: settings.fontSize,
      fontFamily: settings.fontFamily,
      theme: TERMINAL_THEMES[settings.theme],
      cursorBlink: true,
      scrollback: SCROLLBACK_LINES,
    });
    this.terminal.loadAddon(this.fitAddon);
    this.terminal.loadAddon(this.search);
    this.terminal.loadAddon(new WebLinksAddon());
    this.terminal.open(container);
    this.fit();
    // The container changes size with the window, and also when bars appear
    // (the search bar): observing it covers both.
    new ResizeObserver(() => {
      clearTimeout(this.resizeTimer);
      this.resizeTimer = setTimeout(() => this.fit(), RESIZE_DEBOUNCE_MS);
    }).observe(container);
  }

  /** Resizes the terminal to its container now; returns the size. */
  fit(): TerminalSize {
    try {
      this.fitAddon.fit();
    } catch {
      // A hidden container has no size to fit to; the terminal keeps its own.
    }
    return this.size();
  }

  size(): TerminalSize {
    return { cols: this.terminal.cols, rows: this.terminal.rows };
  }

  write(bytes: Uint8Array, rendered: () => void): void {
    this.terminal.write(bytes, rendered);
  }

  writeText(text: string): void {
    this.terminal.write(text);
  }

  applySettings(settings: TerminalSettings): void {
    this.terminal.options.fontSize = settings.fontSize;
    this.terminal.options.fontFamily = settings.fontFamily;
    this.terminal.options.theme = TERMINAL_THEMES[settings.theme];
    this.fit();
  }

  onInput(listener: (text: string) => void): IDisposable {
    return this.terminal.onData(listener);
  }

  onResize(listener: (size: TerminalSize) => void): IDisposable {
    return this.terminal.onResize(listener);
  }

  onTitle(listener: (title: string) => void): IDisposable {
    return this.terminal.onTitleChange(listener);
  }

  focus(): void {
    this.terminal.focus();
  }

  /** A fresh session starts on a clean screen. */
  reset(): void {
    this.terminal.reset();
  }
}
