/**
 * What each menu item does. The menu (menu.ts) only knows `data-action`
 * names; this is where they meet the terminal, the session and the log.
 */
import { copyText, readText } from './clipboard.js';
import { downloadText, logFileName } from './file-download.js';
import type { SearchBar } from './search-bar.js';
import type { SessionLink } from './session-link.js';
import type { SessionLog } from './session-log.js';
import type { SettingsDialog } from './settings-dialog.js';
import type { StatusBar } from './status-bar.js';
import type { TerminalView } from './terminal-view.js';

export type MenuAction =
  | 'start-log'
  | 'stop-log'
  | 'download-log'
  | 'replay-credentials'
  | 'reauth'
  | 'search'
  | 'copy'
  | 'paste'
  | 'settings';

export interface MenuTargets {
  view: TerminalView;
  link: SessionLink;
  sessionLog: SessionLog;
  searchBar: SearchBar;
  settingsDialog: SettingsDialog;
  statusBar: StatusBar;
  /** The host the log file is named after. */
  logHost(): string;
}

export async function runMenuAction(action: MenuAction, targets: MenuTargets): Promise<void> {
  const { view, link, sessionLog, statusBar } = targets;
  switch (action) {
    case 'start-log':
      sessionLog.start();
      statusBar.showMessage('Session log started');
      return view.focus();
    case 'stop-log':
      sessionLog.stop();
      statusBar.showMessage('Session log stopped');
      return view.focus();
    case 'download-log':
      downloadText(logFileName(targets.logHost(), new Date()), sessionLog.text());
      return;
    case 'replay-credentials':
      link.control('replayCredentials');
      return view.focus();
    case 'reauth':
      link.control('reauth');
      return;
    case 'search':
      return targets.searchBar.open();
    case 'settings':
      return targets.settingsDialog.open();
    case 'copy': {
      const selection = view.terminal.getSelection();
      if (selection === '') statusBar.showMessage('Select text in the terminal first');
      else statusBar.showMessage((await copyText(selection)) ? 'Copied to the clipboard' : 'The browser refused to copy', 'info');
      return view.focus();
    }
    case 'paste': {
      const text = await readText();
      if (text === undefined) statusBar.showMessage('The browser did not allow reading the clipboard: paste with Ctrl+Shift+V or ⌘V');
      else view.terminal.paste(text);
      return view.focus();
    }
  }
}
