/**
 * `ddlguard lint` prints exactly what it printed before the start-up work (the bundled CLI,
 * rules loaded on demand, narrower walks, the result cache): the golden files in
 * test/golden/lint/ were written by the tsc build of main before those changes
 * (`UPDATE_GOLDEN=1 npx vitest run test/cli/output-golden.test.ts` rewrites them).
 * Each case runs the package's `bin` (build first: `npm run build`) with --format json and
 * tty (no colour) over the fixtures; the same cases with --cache, cold then warm, must print
 * the same bytes again.
 *
 * Real corpora (not committed): DDLGUARD_GOLDEN_CORPORA=dir[:dir...] adds a json and a tty
 * case for each directory, their golden files kept in DDLGUARD_GOLDEN_CORPORA_OUT
 * (default /tmp/ddlguard-golden-corpora); write them with UPDATE_GOLDEN=1 and
 * DDLGUARD_BIN=<main's dist/src/cli/main.js>.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const GOLDEN = path.join(ROOT, 'test/golden/lint');
const CORPORA_OUT = process.env.DDLGUARD_GOLDEN_CORPORA_OUT ?? '/tmp/ddlguard-golden-corpora';
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
const BIN = process.env.DDLGUARD_BIN ?? path.join(ROOT, pkg.bin.ddlguard!);
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface Case {
  name: string;
  args: string[];
  dir: string;
}

function cases(): Case[] {
  const out: Case[] = [];
  const history = ['--history', 'fixtures/rules/_history.sql'];
  const rules = readdirSync(path.join(ROOT, 'fixtures/rules')).filter((d) => !d.startsWith('_')).sort();
  for (const r of rules) out.push({ name: `rules-${r}.json`, args: ['--format', 'json', ...history, `fixtures/rules/${r}`], dir: GOLDEN });
  out.push({ name: 'rules-all.tty', args: ['--format', 'tty', ...history, 'fixtures/rules'], dir: GOLDEN });
  out.push({ name: 'rules-all-pg10.json', args: ['--format', 'json', '--pg-version', '10', ...history, 'fixtures/rules'], dir: GOLDEN });
  out.push({ name: 'rules-all-pg18-tx.json', args: ['--format', 'json', '--pg-version', '18', '--assume-in-transaction', ...history, 'fixtures/rules'], dir: GOLDEN });
  const dirs = [
    ...readdirSync(path.join(ROOT, 'fixtures/layouts')).map((d) => `fixtures/layouts/${d}`),
    ...readdirSync(path.join(ROOT, 'fixtures/releases'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `fixtures/releases/${d.name}`),
    'fixtures/quickstart/migrations',
    'fixtures/trace/migrations',
    'fixtures/plan',
  ].sort();
  for (const d of dirs) {
    const name = d.replace(/^fixtures\//, '').replace(/\//g, '-');
    out.push({ name: `${name}.json`, args: ['--format', 'json', d], dir: GOLDEN });
    out.push({ name: `${name}.tty`, args: ['--format', 'tty', d], dir: GOLDEN });
  }
  for (const c of (process.env.DDLGUARD_GOLDEN_CORPORA ?? '').split(':').filter(Boolean)) {
    const name = `corpus-${path.basename(path.resolve(c))}`;
    out.push({ name: `${name}.json`, args: ['--format', 'json', c], dir: CORPORA_OUT });
    out.push({ name: `${name}.tty`, args: ['--format', 'tty', c], dir: CORPORA_OUT });
  }
  return out;
}

/** The bytes a case compares: exit code, stdout, stderr. */
function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.FORCE_COLOR;
    delete env.DATABASE_URL;
    delete env.GITHUB_STEP_SUMMARY;
    const child = spawn(process.execPath, [BIN, 'lint', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve(`exit: ${code}\n--- stdout\n${Buffer.concat(out).toString('utf8')}--- stderr\n${Buffer.concat(err).toString('utf8')}`));
  });
}

/** Run fn over items, two at a time (the machine has two cores). */
async function pool<T, R>(items: T[], fn: (t: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

const all = cases();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-golden-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lint output is byte-identical to the golden files', () => {
  it('has a built bin', () => {
    expect(existsSync(BIN), `${BIN} is missing: run \`npm run build\` first`).toBe(true);
  });

  it('every fixture case, without a cache', { timeout: 600_000 }, async () => {
    const got = await pool(all, (c) => run(c.args));
    const mismatched: string[] = [];
    all.forEach((c, i) => {
      const file = path.join(c.dir, c.name);
      if (UPDATE) {
        mkdirSync(c.dir, { recursive: true });
        writeFileSync(file, got[i]!);
        return;
      }
      if (!existsSync(file) || readFileSync(file, 'utf8') !== got[i]) mismatched.push(c.name);
    });
    if (mismatched.length) {
      // Show the first difference in full.
      const c = all.find((x) => x.name === mismatched[0])!;
      const want = existsSync(path.join(c.dir, c.name)) ? readFileSync(path.join(c.dir, c.name), 'utf8') : '(no golden file)';
      expect(got[all.indexOf(c)], `${mismatched.length} case(s) differ: ${mismatched.join(', ')}`).toBe(want);
    }
  });

  it.skipIf(UPDATE)('the same cases with --cache, cold and then warm', { timeout: 600_000 }, async () => {
    // The runs over many files in one history (where a cache entry depends on the files before it).
    const cached = all.filter((c) => c.name.startsWith('rules-all') || c.name.startsWith('corpus-'));
    for (const pass of ['cold', 'warm']) {
      const got = await pool(cached, (c) => run(['--cache', '--cache-location', path.join(tmp, c.name), ...c.args]));
      cached.forEach((c, i) => {
        expect(got[i], `${c.name} (${pass} cache)`).toBe(readFileSync(path.join(c.dir, c.name), 'utf8'));
      });
    }
  });
});
