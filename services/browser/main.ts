/**
 * The page's entry point: reads the gateway's configuration, builds the
 * parts (terminal, login form, prompt dialog, menu, status bar) and connects
 * them to the session link. Decisions about the protocol live in
 * session-link.ts; decisions about what the user sees live here.
 */
import type { Terminal } from '@xterm/xterm';
import type { Permissions } from '../../shared/protocol/events.js';
import { readPageConfig } from './config.js';
import { HostKeyDialog } from './host-key-dialog.js';
import { LoginForm, type LoginPrefill } from './login-form.js';
import { Menu } from './menu.js';
import { runMenuAction, type MenuAction } from './menu-actions.js';
import { PromptDialog } from './prompt-dialog.js';
import { SearchBar } from './search-bar.js';
import { SessionLink, type HostKeyNews, type SessionEnd } from './session-link.js';
import { SessionLog } from './session-log.js';
import { loadSettings, saveSettings, type TerminalSettings } from './settings.js';
import { SettingsDialog } from './settings-dialog.js';
import { isPageStatus, StatusBar, STATUS_OF_PHASE } from './status-bar.js';
import { TerminalView } from './terminal-view.js';

declare global {
  interface Window {
    /** For automation and debugging: tests read `fleetTerminal.buffer.active`. */
    fleetTerminal: Terminal;
  }
}

const DEFAULT_TITLE = document.title;
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const config = readPageConfig(document, location.origin);
const storage = safeLocalStorage();
let settings = loadSettings(storage);
document.documentElement.dataset['theme'] = settings.theme;

const view = new TerminalView(byId('terminal'), settings);
window.fleetTerminal = view.terminal;
const statusBar = new StatusBar(document);
statusBar.setHeader(config.header.text ?? 'WebSSH');
if (config.header.background) statusBar.setHeaderBackground(config.header.background);
const sessionLog = new SessionLog();
let permissions: Permissions | undefined;
/** Where the user last logged in to: the form offers it again when the session ends. */
let lastTarget: LoginPrefill = { host: config.ssh.host, port: config.ssh.port, username: config.ssh.username, term: config.ssh.sshterm };
/**
 * What the server said about the host key during this login. It arrives just
 * before the login's result, which would wipe it from the status bar, so it
 * is shown with that result: over the login form on a refusal, in the status
 * bar once connected.
 */
let hostKeyWarning: string | undefined;

const loginForm = new LoginForm(byId('login'), (credentials) => {
  lastTarget = { ...lastTarget, host: credentials.host, port: credentials.port ?? config.ssh.port, username: credentials.username };
  const size = view.fit();
  statusBar.clearMessage();
  hostKeyWarning = undefined;
  loginForm.setBusy(true);
  link.login({ ...credentials, cols: size.cols, rows: size.rows });
});

if (config.locked) loginForm.lockTarget(config.locked);

const link = new SessionLink(
  { url: config.socket.url, path: config.socket.path, terminalSize: () => view.size() },
  {
    phase(phase) {
      statusBar.setStatus(STATUS_OF_PHASE[phase]);
      updateMenu();
    },
    credentialsWanted(why) {
      promptDialog.dismiss();
      hostKeyDialog.dismiss();
      loginForm.show(lastTarget, why === 'reauth' ? 'Log in again to start a new session.' : undefined);
    },
    loginFailed(message) {
      promptDialog.dismiss();
      hostKeyDialog.dismiss();
      loginForm.show(lastTarget, hostKeyWarning);
      hostKeyWarning = undefined;
      loginForm.showError(message);
      statusBar.showMessage(message, 'error');
    },
    loggedIn() {
      loginForm.forgetSecrets();
      loginForm.hide();
      promptDialog.dismiss();
      hostKeyDialog.dismiss();
      statusBar.clearMessage();
      if (hostKeyWarning) statusBar.showMessage(hostKeyWarning, 'error');
      hostKeyWarning = undefined;
      view.reset();
      view.fit();
      view.focus();
    },
    permissions(granted) {
      permissions = granted;
      if (granted.autoLog) sessionLog.start();
      updateMenu();
    },
    output(bytes, rendered) {
      sessionLog.recordBytes(bytes);
      view.write(bytes, rendered);
    },
    execOutput(text) {
      sessionLog.recordText(text);
      view.writeText(text);
    },
    prompt(prompt) {
      promptDialog.show(prompt);
    },
    hostKeyVerify(request) {
      hostKeyDialog.show(request);
    },
    hostKeyNews(news) {
      hostKeyWarning = describeHostKeyNews(news);
      statusBar.showMessage(hostKeyWarning, 'error');
    },
    updateUi({ element, value }) {
      const text = String(value);
      if (element === 'footer') statusBar.setFooter(text);
      else if (element === 'header') statusBar.setHeader(text);
      // #status keeps the page's own vocabulary; other news (a worker draining) goes beside it.
      else if (element === 'status' && isPageStatus(text)) statusBar.setStatus(text);
      else if (element === 'status') statusBar.showMessage(text);
    },
    sshError(message) {
      const phase = link.currentPhase;
      // After the end ("Connection closed") it is news, not a fault.
      statusBar.showMessage(message, phase === 'ended' ? 'info' : 'error');
      if (loginForm.visible && (phase === 'idle' || phase === 'connecting' || phase === 'authenticating')) loginForm.showError(message);
    },
    resumed() {
      statusBar.showMessage('Reconnected');
    },
    ended(end) {
      promptDialog.dismiss();
      hostKeyDialog.dismiss();
      const notice = describeEnd(end);
      statusBar.showMessage(notice, end.kind === 'closed' ? 'info' : 'error');
      loginForm.show(lastTarget, notice);
    },
    notice(message) {
      statusBar.showMessage(message, 'error');
    },
  },
);

const promptDialog = new PromptDialog(byId('prompt-dialog'), (response) => link.answerPrompt(response));
const hostKeyDialog = new HostKeyDialog(byId('hostkey-dialog'), (action) => link.answerHostKey(action));
const searchBar = new SearchBar(byId('search'), view.search, () => view.focus());
const settingsDialog = new SettingsDialog(byId('settings-dialog'), settings, (changed: TerminalSettings) => {
  settings = changed;
  saveSettings(storage, settings);
  document.documentElement.dataset['theme'] = settings.theme;
  view.applySettings(settings);
});
const menu = new Menu<MenuAction>(byId('menu-button'), byId('menu'), (action) => {
  void runMenuAction(action, {
    view,
    link,
    sessionLog,
    searchBar,
    settingsDialog,
    statusBar,
    logHost: () => lastTarget.host ?? 'session',
  }).finally(updateMenu);
});

view.onInput((text) => link.type(text));
view.onResize(() => link.resize());
view.onTitle((title) => {
  document.title = title.trim() === '' ? DEFAULT_TITLE : title;
});
// Back online: try the resume now instead of at the next backoff step.
window.addEventListener('online', () => link.retryNow());
// Leaving the page ends the session at once rather than leaving it detached.
window.addEventListener('pagehide', () => link.close());

if (config.autoConnect) {
  link.connect();
} else {
  loginForm.show(lastTarget);
}

function updateMenu(): void {
  const live = link.currentPhase === 'live';
  menu.setEnabled('start-log', !sessionLog.recording);
  menu.setEnabled('stop-log', sessionLog.recording);
  menu.setEnabled('download-log', sessionLog.recording || !sessionLog.isEmpty);
  menu.setEnabled('replay-credentials', live && permissions?.allowReplay === true);
  menu.setEnabled('reauth', live && permissions?.allowReauth === true);
  menu.setEnabled('paste', live);
  byId('log-indicator').hidden = !sessionLog.recording;
}

function describeEnd(end: SessionEnd): string {
  switch (end.kind) {
    case 'closed':
      return `Session ended: ${end.message}`;
    case 'taken-over':
      return 'Session taken over by another window';
    case 'resume-failed':
      return `The session could not be resumed: ${end.message}`;
  }
}

function describeHostKeyNews(news: HostKeyNews): string {
  const { host, port, algorithm } = news.detail;
  switch (news.kind) {
    case 'mismatch':
      return (
        `WARNING: the host key of ${host}:${port} has changed (expected ${news.detail.storedFingerprint}, ` +
        `got ${news.detail.fingerprint}). Someone may be intercepting the connection, or the server's key was replaced: ` +
        'the connection was refused. Ask the administrator to confirm the new key.'
      );
    case 'rejected':
      return `${news.detail.reason} (${algorithm} ${news.detail.fingerprint}): the connection was refused.`;
    case 'alert':
      return `The host key of ${host}:${port} (${algorithm} ${news.detail.fingerprint}) is not among the trusted keys; connected anyway.`;
  }
}

function safeLocalStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    // Blocked storage (some privacy settings) throws on access; settings then last for the page only.
    return undefined;
  }
}
