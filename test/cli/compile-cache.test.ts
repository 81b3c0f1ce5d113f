/**
 * The CLI turns on Node's module compile cache where Node has it (>= 22.1). The main run
 * (Node 20) sees no cache written; scripts/test-node-versions.sh runs this file again
 * under Node 24 and 26, where the cache directory fills.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');
const hasCompileCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

describe(`module compile cache on Node ${process.versions.node}`, () => {
  it(hasCompileCache ? 'is written by a lint run' : 'is not available, and the CLI runs without it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-cc-'));
    writeFileSync(path.join(dir, '001.sql'), 'CREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n');
    // NODE_COMPILE_CACHE would turn the cache on by itself: point the default location
    // (os.tmpdir()/node-compile-cache) here instead.
    const cache = path.join(dir, 'node-compile-cache');
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: dir };
    delete env.NODE_COMPILE_CACHE;
    delete env.NODE_DISABLE_COMPILE_CACHE;
    const r = spawnSync(process.execPath, [CLI, 'lint', path.join(dir, '001.sql')], { encoding: 'utf8', env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const files = existsSync(cache) ? readdirSync(cache, { recursive: true }) : [];
    if (hasCompileCache) expect(files.length).toBeGreaterThan(10);
    else expect(files).toEqual([]);
  });
});
