/**
 * Colour themes: the terminal's palette and the page chrome around it (the
 * chrome reads the `data-theme` attribute in styles.css).
 */
import type { ITheme } from '@xterm/xterm';

export const THEME_NAMES = ['dark', 'light', 'solarized-dark', 'solarized-light'] as const;
export type ThemeName = (typeof THEME_NAMES)[number];

export const THEME_LABELS: Record<ThemeName, string> = {
  dark: 'Dark',
  light: 'Light',
  'solarized-dark': 'Solarized dark',
  'solarized-light': 'Solarized light',
};

const solarized = {
  black: '#073642',
  red: '#dc322f',
  green: '#859900',
  yellow: '#b58900',
  blue: '#268bd2',
  magenta: '#d33682',
  cyan: '#2aa198',
  white: '#eee8d5',
  brightBlack: '#002b36',
  brightRed: '#cb4b16',
  brightGreen: '#586e75',
  brightYellow: '#657b83',
  brightBlue: '#839496',
  brightMagenta: '#6c71c4',
  brightCyan: '#93a1a1',
  brightWhite: '#fdf6e3',
};

export const TERMINAL_THEMES: Record<ThemeName, ITheme> = {
  dark: {
    background: '#14161b',
    foreground: '#d8dee9',
    cursor: '#d8dee9',
    cursorAccent: '#14161b',
    selectionBackground: '#3b4252',
  },
  light: {
    background: '#fbfbfb',
    foreground: '#24292f',
    cursor: '#24292f',
    cursorAccent: '#fbfbfb',
    selectionBackground: '#c8d6e8',
    black: '#24292f',
    red: '#cf222e',
    green: '#116329',
    yellow: '#7d4e00',
    blue: '#0969da',
    magenta: '#8250df',
    cyan: '#1b7c83',
    white: '#6e7781',
    brightBlack: '#57606a',
    brightRed: '#a40e26',
    brightGreen: '#1a7f37',
    brightYellow: '#633c01',
    brightBlue: '#218bff',
    brightMagenta: '#a475f9',
    brightCyan: '#3192aa',
    brightWhite: '#8c959f',
  },
  'solarized-dark': {
    ...solarized,
    background: '#002b36',
    foreground: '#839496',
    cursor: '#93a1a1',
    cursorAccent: '#002b36',
    selectionBackground: '#073642',
  },
  'solarized-light': {
    ...solarized,
    background: '#fdf6e3',
    foreground: '#657b83',
    cursor: '#586e75',
    cursorAccent: '#fdf6e3',
    selectionBackground: '#eee8d5',
  },
};

export function isThemeName(value: unknown): value is ThemeName {
  return typeof value === 'string' && (THEME_NAMES as readonly string[]).includes(value);
}
