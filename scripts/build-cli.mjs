#!/usr/bin/env node
/**
 * Builds the CLI the package's `bin` runs: dist/bin/main.js, an ESM bundle of src/ and rules/
 * split at each dynamic import, so `ddlguard lint` loads a handful of files (the lint path, its
 * rules and one reporter) instead of ~80 modules, and never the database drivers. Dependencies
 * stay external (loaded from node_modules as before). Run by `npm run build` and `prepare`, after
 * tsc (whose dist/src/ the library exports and the tests use).
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
