/**
 * The bin's launcher runs `lint` from dist/bin/lint-fast.cjs with a V8 code cache
 * (src/cli/launcher.ts). The cache must only ever make runs faster: the output is the ES module
 * CLI's, byte for byte, with the cache missing, present, corrupt or turned off, and a corrupt
 * one is rewritten.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: { ddlguard: string } };
const BIN = path.join(ROOT, pkg.bin.ddlguard);
const ESM_CLI = path.join(ROOT, 'dist/bin/main.js');
const fixture = path.join(ROOT, 'fixtures/rules');
const files = readdirSync(fixture, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .slice(0, 40)
  .map((f) => path.join(fixture, f));

function run(cli: string, env: NodeJS.ProcessEnv, args = ['lint', '--format', 'json', ...files]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cacheFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.bin'));

describe('the launcher and its code cache', () => {
  it('writes the cache once, reuses it, and prints what the ES module CLI prints', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-launcher-'));
    const want = run(ESM_CLI, {});
    expect(want.code).toBe(1);
    expect(want.stdout).toContain('"findings"');

    const first = run(BIN, { DDLGUARD_COMPILE_CACHE: dir });
    expect(first).toEqual(want);
    const [cache] = cacheFiles(dir);
    expect(cache).toMatch(new RegExp(`^lint-fast-[0-9a-f]{16}-${process.version}-${process.arch}\\.bin$`));
    const written = statSync(path.join(dir, cache!)).mtimeMs;

    expect(run(BIN, { DDLGUARD_COMPILE_CACHE: dir })).toEqual(want);
    // Accepted, so not rewritten.
    expect(statSync(path.join(dir, cache!)).mtimeMs).toBe(written);
  });

  it('ignores a corrupt cache, gives the same output, and rewrites it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-launcher-'));
    const want = run(ESM_CLI, {});
    run(BIN, { DDLGUARD_COMPILE_CACHE: dir });
    const file = path.join(dir, cacheFiles(dir)[0]!);
    const good = readFileSync(file);
    const bad = Buffer.from(good);
    bad.fill(0x5a, 64, Math.min(bad.length, 4096));
    writeFileSync(file, bad);
    expect(run(BIN, { DDLGUARD_COMPILE_CACHE: dir })).toEqual(want);
    expect(readFileSync(file).equals(bad)).toBe(false);
    writeFileSync(file, 'not a cache');
    expect(run(BIN, { DDLGUARD_COMPILE_CACHE: dir })).toEqual(want);
    expect(readFileSync(file, 'utf8')).not.toBe('not a cache');
  });

  it('writes nothing with NODE_DISABLE_COMPILE_CACHE=1, and an unwritable cache directory costs nothing but speed', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-launcher-'));
    const want = run(ESM_CLI, {});
    expect(run(BIN, { DDLGUARD_COMPILE_CACHE: dir, NODE_DISABLE_COMPILE_CACHE: '1' })).toEqual(want);
    expect(cacheFiles(dir)).toEqual([]);
    const notADir = path.join(dir, 'file');
    writeFileSync(notADir, '');
    expect(run(BIN, { DDLGUARD_COMPILE_CACHE: path.join(notADir, 'sub') })).toEqual(want);
  });

  it('hands every other command, and lint arguments that need yargs, to the ES module CLI', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-launcher-'));
    for (const args of [['rules', '--format', 'json'], ['lint', '--help'], ['lint', '--no-color', '--format', 'json', files[0]!], ['lint', '--format', 'nope', files[0]!], ['lint', path.join(dir, 'missing.sql')]]) {
      expect(run(BIN, { DDLGUARD_COMPILE_CACHE: dir }, args)).toEqual(run(ESM_CLI, {}, args));
    }
  });
});

describe('a command that never finishes', () => {
  // What a WebAssembly compile V8 never finishes looked like: the event loop drained and the
  // process exited 0 with no output, a clean lint that never ran.
  const exitJs = path.join(ROOT, 'dist/src/cli/exit.js');
  const script = (promise: string) => `import { failIfUnsettled } from ${JSON.stringify(exitJs)}; failIfUnsettled(${promise});`;
  const node = (code: string) => spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });

  it('exits 2 with an internal error when its promise never settles', () => {
    const r = node(script('new Promise(() => {})'));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('ddlguard: internal error: the command stopped before it finished\n');
  });

  it('changes nothing when it settles, and leaves a rejection unhandled', () => {
    const ok = node(script('new Promise((resolve) => setTimeout(resolve, 20))'));
    expect(ok.status).toBe(0);
    expect(ok.stderr).toBe('');
    const failed = node(script("Promise.reject(new Error('boom'))"));
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('boom');
    expect(failed.stderr).not.toContain('stopped before it finished');
  });
});

describe("the parser's WebAssembly on this Node", () => {
  // V8's optimising tier-up of the parser's 100 KB yacc function takes 0.4 s and 600 MiB, and the
  // process waits for it at exit: the CLI's V8 flags (src/cli/parser-flags.ts) must keep every
  // function on Liftoff, on each Node version the tests run on. V8 traces each compile.
  it('compiles no function with TurboFan over many files', () => {
    const r = spawnSync(process.execPath, ['--trace-wasm-compilation-times', BIN, 'lint', '--format', 'json', fixture, path.join(ROOT, 'fixtures/plan')], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 });
    const compiles = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.startsWith('Compiled function '));
    expect(compiles.filter((l) => l.includes(' using Liftoff')).length).toBeGreaterThan(20);
    expect(compiles.filter((l) => l.includes(' using TurboFan'))).toEqual([]);
  });
});
