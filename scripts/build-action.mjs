#!/usr/bin/env node
/**
 * Builds the GitHub Action's bundle (action.yml `main:`): one self-contained ES module,
 * action/dist/index.js, from src/cli/action.ts and everything it loads, plus the parser's
 * WebAssembly (libpg-query.wasm) beside it, where libpg-query's loader looks for it (its
 * own directory). The output is committed, so the runner installs nothing; the
 * check-bundle test (test/cli/action-bundle.test.ts) fails when it differs from a fresh build.
 *
 *   node scripts/build-action.mjs [--outdir <dir>]     (npm run build:action)
 *
 * Deterministic: minified (no source-path comments), symlinks preserved (paths do not depend
 * on where node_modules really lives), no timestamps, fixed input order.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lazyRequire } from './lazy-require.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const outIdx = argv.indexOf('--outdir');
const outdir = path.resolve(outIdx >= 0 ? argv[outIdx + 1] : path.join(ROOT, 'action/dist'));
mkdirSync(outdir, { recursive: true });

await build({
  absWorkingDir: ROOT,
  entryPoints: ['src/cli/action.ts'],
  outfile: path.join(outdir, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  preserveSymlinks: true,
  legalComments: 'none',
  charset: 'utf8',
  // pg's optional native binding: never installed, pg falls back to its JavaScript client.
  external: ['pg-native'],
  plugins: [lazyRequire()],
  // libpg-query's loader is CommonJS (require, __dirname: it reads libpg-query.wasm from
  // its own directory, here the bundle's); give the ES module bundle those names.
  banner: {
    js: [
      "import{createRequire as __cr}from'node:module';",
      "import{fileURLToPath as __fu}from'node:url';",
      "import{dirname as __dn}from'node:path';",
      'const require=__cr(import.meta.url);',
      'const __filename=__fu(import.meta.url);',
      'const __dirname=__dn(__filename);',
    ].join(''),
  },
  logLevel: 'warning',
});

const require = createRequire(import.meta.url);
const wasm = path.join(path.dirname(require.resolve('libpg-query/package.json', { paths: [ROOT] })), 'wasm', 'libpg-query.wasm');
copyFileSync(wasm, path.join(outdir, 'libpg-query.wasm'));

const kb = (f) => `${(statSync(path.join(outdir, f)).size / 1024).toFixed(0)} KiB`;
process.stdout.write(`action bundle: ${path.relative(process.cwd(), outdir) || '.'}/index.js ${kb('index.js')}, libpg-query.wasm ${kb('libpg-query.wasm')}\n`);
