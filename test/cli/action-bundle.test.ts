/**
 * check-bundle (the actions/typescript-action convention): the committed Action bundle is
 * what scripts/build-action.mjs builds from the sources now. Fails on a stale bundle:
 * run `npm run build:action` and commit action/dist.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { actionMain, ROOT } from './action-support.js';

/** Files that differ (or exist on one side only) between two bundle folders. */
function bundleDiff(committed: string, fresh: string): string[] {
  const names = [...new Set([...readdirSync(committed), ...readdirSync(fresh)])].sort();
  return names.filter((n) => {
    try {
      return !readFileSync(path.join(committed, n)).equals(readFileSync(path.join(fresh, n)));
    } catch {
      return true;
    }
  });
}

describe('the committed Action bundle', () => {
  const committed = path.join(ROOT, path.dirname(actionMain()));

  it('is what a fresh build gives (run `npm run build:action` and commit action/dist when this fails)', () => {
    const fresh = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-bundle-'));
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-action.mjs'), '--outdir', fresh], { cwd: ROOT, encoding: 'utf8' });
    expect(readdirSync(fresh).sort()).toEqual(['index.js', 'libpg-query.wasm']);
    expect(bundleDiff(committed, fresh)).toEqual([]);
    // The same comparison catches a stale bundle: one changed byte, one missing file.
    const stale = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-bundle-stale-'));
    cpSync(committed, stale, { recursive: true });
    const js = readFileSync(path.join(stale, 'index.js'), 'utf8');
    writeFileSync(path.join(stale, 'index.js'), js.replace('ddlguard', 'ddlguarD'));
    expect(bundleDiff(stale, fresh)).toEqual(['index.js']);
  });
});

describe('the README', () => {
  it("documents every input of action.yml in the Action's table", () => {
    const inputs = Object.keys((parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> }).inputs).sort();
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('| Input | Default |'));
    const documented = [...table.slice(0, table.indexOf('\n\n')).matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(inputs);
    expect(readme).not.toMatch(/actions\/checkout@v[1-4]\b/);
  });
});
