/**
 * Copy and paste for the menu. The async Clipboard API needs a secure
 * context and, for reading, the user's permission; copying falls back to a
 * hidden textarea and execCommand, which still works in plain-HTTP pages.
 * Reading has no such fallback: the caller tells the user to paste with the
 * keyboard, which xterm.js handles itself.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return copyWithTextarea(text);
  }
}

/** The clipboard's text, or undefined when the browser will not give it. */
export async function readText(): Promise<string | undefined> {
  try {
    return await navigator.clipboard.readText();
  } catch {
    return undefined;
  }
}

function copyWithTextarea(text: string): boolean {
  const active = document.activeElement as HTMLElement | null;
  const textarea = document.createElement('textarea');
  textarea.value = text;
  textarea.readOnly = true;
  textarea.className = 'offscreen';
  document.body.append(textarea);
  textarea.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    textarea.remove();
    active?.focus();
  }
}
