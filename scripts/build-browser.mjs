// The browser page: esbuild bundles services/browser (script and styles) into
// content-hashed files in dist/public/assets, and dist/public/index.html is
// the template with those files' URLs filled in. The URLs are absolute
// because the same page is served at /ssh, /ssh/ and /ssh/host/<host>.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, relative } from 'node:path';
import * as esbuild from 'esbuild';

const SOURCE_DIR = 'services/browser';
const PUBLIC_DIR = 'dist/public';
const ASSETS_DIR = `${PUBLIC_DIR}/assets`;
const ASSETS_URL = '/ssh/assets';
// The gateway replaces `null` in this element with the page's configuration.
const CONFIG_ELEMENT = '<script type="application/json" id="webssh2-config">null</script>';

// Old hashes would otherwise pile up with every build.
rmSync(PUBLIC_DIR, { recursive: true, force: true });

const result = await esbuild.build({
  entryPoints: {
    main: `${SOURCE_DIR}/main.ts`,
    styles: `${SOURCE_DIR}/styles.css`,
  },
  outdir: ASSETS_DIR,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  sourcemap: 'linked',
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
});

/** The output file built from `entry`, as the URL the page loads it by. */
function urlOf(entry) {
  const outputs = Object.entries(result.metafile.outputs);
  const found = outputs.find(([, output]) => output.entryPoint === entry);
  if (!found) throw new Error(`esbuild produced nothing for ${entry}`);
  return `${ASSETS_URL}/${basename(found[0])}`;
}

const template = readFileSync(`${SOURCE_DIR}/index.html`, 'utf8');
if (template.split(CONFIG_ELEMENT).length !== 2) {
  throw new Error(`${SOURCE_DIR}/index.html must contain ${CONFIG_ELEMENT} exactly once`);
}
const page = fill(template, {
  '%SCRIPT_URL%': urlOf(`${SOURCE_DIR}/main.ts`),
  '%STYLES_URL%': urlOf(`${SOURCE_DIR}/styles.css`),
});
writeFileSync(`${PUBLIC_DIR}/index.html`, page);

const written = Object.keys(result.metafile.outputs).map((file) => relative(PUBLIC_DIR, file));
console.log(`browser page: ${PUBLIC_DIR}/index.html, ${written.join(', ')}`);

function fill(text, values) {
  let filled = text;
  for (const [placeholder, value] of Object.entries(values)) {
    if (!filled.includes(placeholder)) throw new Error(`${SOURCE_DIR}/index.html lacks ${placeholder}`);
    filled = filled.replaceAll(placeholder, value);
  }
  return filled;
}
