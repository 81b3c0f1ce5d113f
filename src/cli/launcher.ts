/**
 * The package's bin (built to dist/bin/ddlguard.cjs). `ddlguard lint` runs from one CommonJS
 * bundle of the lint path (dist/bin/lint-fast.cjs) compiled with a V8 code cache, so a run after
 * the first skips compiling its 700 KB of JavaScript and the functions the last run compiled
 * lazily: measured 0.85x wall time for one file on Node 20, which has no module compile cache of
 * its own. Every other command, and lint arguments that need yargs, go to the ES module CLI
 * (main.js). Only where require() loads ES modules (Node >= 20.19 and 22.12: the bundle requires
 * chalk); elsewhere everything goes to main.js.
 *
 * The cache is keyed by the bundle's content hash, Node's version and architecture, and V8 checks
 * its own version and flags and rejects what does not match. V8 does not check the data itself (a
 * damaged cache crashes the process), so the file carries a CRC-32 of it, checked before V8 sees
 * it. A rejected, damaged or unreadable cache is rewritten, never trusted. It lives beside ESLint's (node_modules/.cache/ddlguard/compile of the
 * project ddlguard is installed in); DDLGUARD_COMPILE_CACHE=<dir> moves it and
 * NODE_DISABLE_COMPILE_CACHE=1 (Node's own switch) turns it off.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
// Named imports: esbuild bundles a default import as a copy of every property of the module
// (__toESM), which reads the lazy ones too (lint-options.ts).
import { crc32 } from 'node:zlib';
import { cliArgv, failIfUnsettled, SLOW_LINT } from './exit.js';
import { applyRuntimeFlags } from './runtime-flags.js';
import { compileParserWasm, PRECOMPILED_PARSER } from '../sql/parser-wasm.js';

// Set by scripts/build-cli.mjs: the sha256 of lint-fast.cjs. Absent outside the bundle.
declare const __LINT_BUNDLE_HASH__: string | undefined;

interface LintBundle {
  runFastLint(argv: string[]): Promise<number | null>;
  reportFailure(err: unknown): number;
}

const here = dirname(fileURLToPath(import.meta.url));
const BUNDLE = join(here, 'lint-fast.cjs');

function cacheDir(): string | null {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return null;
  if (process.env.DDLGUARD_COMPILE_CACHE) return resolve(process.env.DDLGUARD_COMPILE_CACHE);
  // dist/bin -> the package's root; installed, that is <project>/node_modules/[@scope/]ddlguard.
  const root = resolve(here, '../..');
  const parts = root.split(sep);
  const nm = parts.lastIndexOf('node_modules');
  const modules = nm >= 0 ? parts.slice(0, nm + 1).join(sep) : join(root, 'node_modules');
  return join(modules, '.cache', 'ddlguard', 'compile');
}

const MAGIC = 'DDLC';
const HEAD = 8;

/** The cached data of a cache file: after its magic and CRC-32, when they match. */
function readCache(file: string): Buffer | undefined {
  try {
    const buf = readFileSync(file);
    if (buf.length <= HEAD || buf.toString('latin1', 0, 4) !== MAGIC) return undefined;
    const data = buf.subarray(HEAD);
    return crc32(data) === buf.readUInt32LE(4) ? data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads lint-fast.cjs through vm.Script with the code cache; `save` writes the cache when it was
 * missing or rejected. Before compiling it, yields to the event loop once: by then V8 has decoded
 * the parser's WebAssembly on a background thread, and the step that starts compiling its
 * hinted functions runs on the main thread. Without the yield it waits until the bundle has
 * loaded and the lint has begun, and the lint then waits for it (measured 0.97x wall time for
 * one file with the yield).
 */
async function loadLintBundle(hash: string): Promise<{ bundle: LintBundle; save: () => void } | null> {
  let source: string;
  try {
    // ASCII (scripts/build-cli.mjs checks): read as latin1, which skips UTF-8 decoding.
    source = readFileSync(BUNDLE, 'latin1');
  } catch {
    return null;
  }
  const dir = cacheDir();
  const cacheFile = dir ? join(dir, `lint-fast-${hash.slice(0, 16)}-${process.version}-${process.arch}.bin`) : null;
  const cached = cacheFile ? readCache(cacheFile) : undefined;
  await new Promise((resolve) => setImmediate(resolve));
  // CommonJS's own wrapper, so the bundle sees exports, require, module, __filename, __dirname.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: BUNDLE, ...(cached ? { cachedData: cached } : {}) });
  const mod = { exports: {} as LintBundle };
  (script.runInThisContext() as (...a: unknown[]) => void).call(mod.exports, mod.exports, createRequire(BUNDLE), mod, BUNDLE, here);
  const save = () => {
    if (!cacheFile || (cached && !script.cachedDataRejected)) return;
    try {
      mkdirSync(dir!, { recursive: true });
      // Written whole, then renamed: a concurrent run reads the old cache or the new, never half.
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      const data = script.createCachedData();
      const head = Buffer.alloc(HEAD);
      head.write(MAGIC, 0, 'latin1');
      head.writeUInt32LE(crc32(data), 4);
      writeFileSync(tmp, Buffer.concat([head, data]));
      renameSync(tmp, cacheFile);
    } catch {
      // A read-only or full disk costs the next run its speed, nothing else.
    }
  };
  return { bundle: mod.exports, save };
}

/**
 * Starts compiling libpg-query's WASM on V8's background threads before the lint bundle loads
 * (its loading takes longer than the compile); the bundle's loadParser picks it up.
 */
function startParserCompile(): void {
  try {
    (globalThis as Record<string, unknown>)[PRECOMPILED_PARSER] = compileParserWasm(import.meta.url);
  } catch {
    // loadParser compiles it itself.
  }
}

async function launch(): Promise<void> {
  const argv = cliArgv();
  applyRuntimeFlags(argv[0]);
  const hash = typeof __LINT_BUNDLE_HASH__ === 'string' ? __LINT_BUNDLE_HASH__ : null;
  // require() of ES modules (the bundle requires chalk) and crc32: Node >= 20.19 / 22.12.
  const requireModule = (process.features as { require_module?: boolean }).require_module === true;
  if (argv[0] === 'lint' && hash && requireModule && typeof crc32 === 'function') {
    startParserCompile();
    const loaded = await loadLintBundle(hash);
    if (loaded) {
      let code: number | null;
      try {
        code = await loaded.bundle.runFastLint(argv);
      } catch (err) {
        process.exitCode = loaded.bundle.reportFailure(err);
        return;
      } finally {
        loaded.save();
      }
      if (code !== null) process.exit(code);
      (globalThis as { [SLOW_LINT]?: boolean })[SLOW_LINT] = true;
    }
  }
  await import('./main.js');
}

failIfUnsettled(launch());
