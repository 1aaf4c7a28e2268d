/**
 * The browser client the gateway serves: our page from `dist/public`, or
 * another WebSSH2-style client from a directory (FLEET_CLIENT_DIR). Either
 * page carries the config placeholder, which each response fills in.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAGE_CONFIG_PLACEHOLDER, type PageConfig } from '../../../shared/protocol/page-config.js';

/** URL prefix of the page's scripts, styles and icons. */
export const ASSETS_PREFIX = '/ssh/assets/';

export interface ClientPage {
  /** The page's HTML with asset URLs made absolute and the placeholder still in it. */
  readonly template: string;
  /** The directory served under ASSETS_PREFIX. */
  readonly assetsDir: string;
}

/** Our page, built by scripts/build-browser.mjs next to the compiled services. */
const BUILT_PAGE_DIR = fileURLToPath(new URL('../../../public/', import.meta.url));
const PAGE_FILE_NAMES = ['index.html', 'client.htm'];
const LEGACY_CONFIG_SCRIPT = /<script>\s*window\.webssh2Config = null;\s*<\/script>\s*/;

export function loadClientPage(clientDir?: string): ClientPage {
  const pageDir = clientDir ?? BUILT_PAGE_DIR;
  const pageFile = PAGE_FILE_NAMES.map((name) => join(pageDir, name)).find((file) => existsSync(file));
  if (!pageFile) throw new Error(`no ${PAGE_FILE_NAMES.join(' or ')} in ${pageDir}${clientDir ? '' : ' (run npm run build)'}`);
  const html = readFileSync(pageFile, 'utf8');
  if (!html.includes(PAGE_CONFIG_PLACEHOLDER)) throw new Error(`${pageFile} has no config placeholder ${PAGE_CONFIG_PLACEHOLDER}`);
  return {
    // A page is served at /ssh, /ssh/ and /ssh/host/<host>: relative asset
    // URLs would resolve differently under each, so they point at one place.
    // The stock client's legacy inline config script would only trip the
    // CSP (its JSON block supersedes it), so it goes.
    template: html.replace(/(src|href)="\.\//g, `$1="${ASSETS_PREFIX}`).replace(LEGACY_CONFIG_SCRIPT, ''),
    assetsDir: clientDir ?? join(BUILT_PAGE_DIR, 'assets'),
  };
}

export function renderPage(page: ClientPage, config: PageConfig): string {
  // Inside a <script> element only `</script` could end the block early, and
  // U+2028/2029 trip older parsers; escaping them keeps the JSON inert.
  const json = JSON.stringify(config).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  // Replaced by a function: a string replacement would read `$&`, `$'` and
  // the like in the user's own text (a header label) as patterns.
  const block = PAGE_CONFIG_PLACEHOLDER.replace('null', () => json);
  return page.template.replace(PAGE_CONFIG_PLACEHOLDER, () => block);
}
