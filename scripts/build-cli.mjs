#!/usr/bin/env node
/**
 * Builds the CLI the package's `bin` runs: dist/bin/main.js, an ESM bundle of src/ and rules/
 * split at each dynamic import, so `ddlguard lint` loads a handful of files (the lint path, its
 * rules and one reporter) instead of ~80 modules, and never the database drivers. Dependencies
 * stay external (loaded from node_modules as before). Run by `npm run build` and `prepare`, after
 * tsc (whose dist/src/ the library exports and the tests use).
 *
 * Beside it, the bin itself, dist/bin/ddlguard.cjs (src/cli/launcher.ts), and the one CommonJS
 * bundle of the lint path it runs with a V8 code cache, dist/bin/lint-fast.cjs
 * (src/cli/lint-fast.ts). That bundle has no import(): esbuild turns each into a require()
 * (bundled code, or a package, which on Node >= 20.19 may be an ES module), because code compiled
 * by vm.Script with cached data cannot import(). The launcher is given the bundle's sha256, the
 * key of the cache.
 *
 * Last, the parser's WebAssembly beside them, dist/bin/libpg-query.wasm (scripts/parser-wasm.mjs):
 * the package's code with a smaller initial memory and compilation hints trained on
 * scripts/parser-training.sql by the bin just built.
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lazyRequire } from './lazy-require.mjs';
import { buildParserWasm } from './parser-wasm.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist/bin');
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // Chunks sit beside main.js: code that finds files relative to its module (package.json for the
  // version, main.js for the Action) sees the same layout from every chunk.
  chunkNames: '[name]-[hash]',
  sourcemap: true,
  logLevel: 'warning',
});

// CommonJS has no import.meta: the bundles get the file's URL under another name.
const cjs = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};
// libpg-query's 61 KB Emscripten loader goes into the bundle, under the code cache (compiling it
// was ~7 ms of a one-file run): parser.ts requires it lazily, a form esbuild does not follow.
const bundleParserLoader = lazyRequire({ only: /^libpg-query\/wasm\/libpg-query\.js$/, root });
await build({ ...cjs, entryPoints: ['src/cli/lint-fast.ts'], outfile: path.join(outdir, 'lint-fast.cjs'), supported: { 'dynamic-import': false }, plugins: [bundleParserLoader] });
const lintFast = readFileSync(path.join(outdir, 'lint-fast.cjs'));
// The launcher reads it as latin1 (no UTF-8 decoding); esbuild's default charset keeps it ASCII.
if (lintFast.some((b) => b > 0x7f)) throw new Error('dist/bin/lint-fast.cjs has a non-ASCII byte; the launcher reads it as latin1');
const hash = createHash('sha256').update(lintFast).digest('hex');
// main.js stays the ES module CLI the launcher imports for every other command.
const mainIsExternal = { name: 'main-external', setup: (b) => b.onResolve({ filter: /^\.\/main\.js$/ }, () => ({ path: './main.js', external: true })) };
await build({
  ...cjs,
  entryPoints: ['src/cli/launcher.ts'],
  outfile: path.join(outdir, 'ddlguard.cjs'),
  define: { ...cjs.define, __LINT_BUNDLE_HASH__: JSON.stringify(hash) },
  banner: { js: `#!/usr/bin/env node\n${cjs.banner.js}` },
  plugins: [mainIsExternal],
});
chmodSync(path.join(outdir, 'ddlguard.cjs'), 0o755);

// The parser's WebAssembly beside the bundles, with a smaller initial memory and compilation
// hints trained by running the bin just built (scripts/parser-wasm.mjs).
const wasm = buildParserWasm({ root, outdir, bin: path.join(outdir, 'ddlguard.cjs'), trainingSql: path.join(root, 'scripts/parser-training.sql') });
if (!wasm.eager) process.stderr.write('build-cli: V8 traced no WebAssembly compiles; dist/bin/libpg-query.wasm has no compilation hints\n');
