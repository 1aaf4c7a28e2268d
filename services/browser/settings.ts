/**
 * The user's terminal settings, kept in localStorage under
 * `webssh-fleet.settings`. Whatever is stored is checked field by field: a
 * value from an older page, or hand-edited, falls back to its default.
 */
import { isThemeName, type ThemeName } from './themes.js';

export interface TerminalSettings {
  fontSize: number;
  fontFamily: string;
  theme: ThemeName;
}

export const SETTINGS_STORAGE_KEY = 'webssh-fleet.settings';
export const FONT_SIZE_RANGE = { min: 8, max: 40 } as const;

export const DEFAULT_SETTINGS: Readonly<TerminalSettings> = {
  fontSize: 14,
  fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace',
  theme: 'dark',
};

export function loadSettings(storage: Storage | undefined): TerminalSettings {
  let stored: unknown;
  try {
    stored = JSON.parse(storage?.getItem(SETTINGS_STORAGE_KEY) ?? 'null');
  } catch {
    stored = null;
  }
  return checkSettings(stored);
}

export function saveSettings(storage: Storage | undefined, settings: TerminalSettings): void {
  try {
    storage?.setItem(SETTINGS_STORAGE_KEY, JSON.stringify(settings));
  } catch {
    // Storage full or disabled (private mode): the settings still apply to this page.
  }
}

export function checkSettings(value: unknown): TerminalSettings {
  const fields = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const { fontSize, fontFamily, theme } = fields;
  return {
    fontSize:
      typeof fontSize === 'number' && Number.isFinite(fontSize)
        ? Math.min(FONT_SIZE_RANGE.max, Math.max(FONT_SIZE_RANGE.min, Math.round(fontSize)))
        : DEFAULT_SETTINGS.fontSize,
    fontFamily: typeof fontFamily === 'string' && fontFamily.trim() !== '' ? fontFamily.slice(0, 256) : DEFAULT_SETTINGS.fontFamily,
    theme: isThemeName(theme) ? theme : DEFAULT_SETTINGS.theme,
  };
}
