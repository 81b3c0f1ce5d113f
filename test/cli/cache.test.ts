/**
 * `lint --cache` through the package's bin. Reuse is observed by planting a marker in the
 * cached findings (with a valid checksum): a run that prints the marker took the result from
 * the cache, one that does not linted the file. A cache that does not verify is ignored and
 * rewritten; an edit to an earlier file invalidates every later file's result.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; version: string };
const BIN = path.join(ROOT, pkg.bin.ddlguard!);
const MARK = 'FROM-THE-CACHE';

const FILES: Record<string, string> = {
  'migrations/001_create.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n',
  'migrations/002_status.sql': "ALTER TABLE users ADD COLUMN status text DEFAULT 'new';\n",
  'migrations/003_index.sql': 'CREATE INDEX users_email_idx ON users (email);\n',
};

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-cache-'));
  dirs.push(dir);
  for (const [f, text] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  const cacheFile = path.join(dir, 'node_modules/.cache/ddlguard/lint-cache.json');
  const lint = (...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.DATABASE_URL;
    const r = spawnSync(process.execPath, [BIN, 'lint', '--format', 'json', ...args, 'migrations'], { cwd: dir, encoding: 'utf8', env });
    expect(r.stderr).toBe('');
    return { code: r.status, stdout: r.stdout, findings: (JSON.parse(r.stdout) as { findings: Array<{ file: string; rule: string; message: string }> }).findings };
  };
  const write = (f: string, text: string) => writeFileSync(path.join(dir, f), text);
  return { dir, cacheFile, lint, write };
}

function readDoc(file: string): { header: string[]; body: string } {
  const raw = readFileSync(file, 'utf8');
  const nl = raw.indexOf('\n');
  return { header: raw.slice(0, nl).split(' '), body: raw.slice(nl + 1) };
}

/** Rewrite the cache document and give it a valid checksum, as a tampering tool would. */
function rewrite(file: string, edit: (doc: any) => void): void {
  const { header, body } = readDoc(file);
  const doc = JSON.parse(body);
  edit(doc);
  const next = JSON.stringify(doc);
  writeFileSync(file, `${header[0]} ${header[1]} ${createHash('sha256').update(next).digest('hex')}\n${next}`);
}

/** Mark every cached finding's message, so a reused result shows. */
const plant = (file: string) =>
  rewrite(file, (doc) => {
    for (const [, r] of doc.entries) for (const f of r.findings) f.message = `${MARK} ${f.message}`;
  });

const verifies = (file: string) => {
  const { header, body } = readDoc(file);
  return header[2] === createHash('sha256').update(body).digest('hex');
};

describe('lint --cache', () => {
  it('writes the cache at the default location and reuses it for unchanged files', () => {
    const p = project();
    const fresh = p.lint();
    expect(fresh.findings.length).toBeGreaterThan(0);
    expect(existsSync(p.cacheFile)).toBe(false);
    const cold = p.lint('--cache');
    expect(cold.stdout).toBe(fresh.stdout);
    expect(verifies(p.cacheFile)).toBe(true);
    expect(p.lint('--cache').stdout).toBe(fresh.stdout);
    plant(p.cacheFile);
    const warm = p.lint('--cache');
    expect(warm.findings.length).toBe(fresh.findings.length);
    expect(warm.findings.every((f) => f.message.startsWith(MARK))).toBe(true);
    // Without --cache the cache is not read.
    expect(p.lint().stdout).toBe(fresh.stdout);
  });

  it('an edit to an earlier file invalidates the results of the files after it, not before', () => {
    const p = project();
    p.lint('--cache');
    plant(p.cacheFile);
    // Editing the last file: the earlier two still come from the cache.
    p.write('migrations/003_index.sql', `-- reviewed\n${FILES['migrations/003_index.sql']}`);
    const last = p.lint('--cache');
    const byFile = (r: typeof last, f: string) => r.findings.filter((x) => x.file === f);
    expect(byFile(last, 'migrations/002_status.sql').length).toBeGreaterThan(0);
    expect(byFile(last, 'migrations/002_status.sql').every((f) => f.message.startsWith(MARK))).toBe(true);
    expect(byFile(last, 'migrations/003_index.sql').some((f) => f.message.startsWith(MARK))).toBe(false);

    // Editing the first file (later files now see another schema): no later result may come
    // from the cache.
    plant(p.cacheFile);
    p.write('migrations/001_create.sql', 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\nCREATE TABLE users (id bigint PRIMARY KEY, email text, status text);\n');
    const edited = p.lint('--cache');
    expect(edited.findings.some((f) => f.message.includes(MARK))).toBe(false);
    expect(edited.stdout).toBe(p.lint().stdout);
  });

  it('a changed setting is a different key: --disable, --pg-version', () => {
    const p = project();
    p.lint('--cache');
    plant(p.cacheFile);
    for (const args of [['--disable', 'require-lock-timeout'], ['--pg-version', '10']]) {
      const got = p.lint('--cache', ...args);
      expect(got.findings.some((f) => f.message.includes(MARK)), args.join(' ')).toBe(false);
      expect(got.stdout).toBe(p.lint(...args).stdout);
    }
  });

  it('a corrupt, truncated, foreign or stale cache is ignored and rebuilt', () => {
    const p = project();
    const fresh = p.lint().stdout;
    const spoil: Array<[string, () => void]> = [
      ['one byte changed', () => {
        plant(p.cacheFile);
        const raw = readFileSync(p.cacheFile, 'utf8');
        const i = raw.indexOf(MARK);
        writeFileSync(p.cacheFile, raw.slice(0, i) + 'X' + raw.slice(i + 1));
      }],
      ['truncated', () => {
        plant(p.cacheFile);
        const raw = readFileSync(p.cacheFile, 'utf8');
        writeFileSync(p.cacheFile, raw.slice(0, Math.floor(raw.length / 2)));
      }],
      ['not a cache', () => writeFileSync(p.cacheFile, '{"entries": []}\n')],
      ['another ddlguard version', () => {
        plant(p.cacheFile);
        rewrite(p.cacheFile, (doc) => (doc.toolVersion = '0.0.0-other'));
      }],
      ['a valid checksum over entries of the wrong shape', () =>
        rewrite(p.cacheFile, (doc) => {
          for (const e of doc.entries) e[1].findings = [{ message: MARK }];
        })],
    ];
    for (const [what, act] of spoil) {
      p.lint('--cache');
      act();
      const got = p.lint('--cache');
      expect(got.stdout, what).toBe(fresh);
      expect(verifies(p.cacheFile), `${what}: rebuilt`).toBe(true);
      expect(readFileSync(p.cacheFile, 'utf8').includes(MARK), `${what}: rebuilt`).toBe(false);
    }
  });

  it('a rerun on unchanged files never loads the parser; a changed file loads it (library lint())', () => {
    const p = project();
    // The library's lint() with a cache, each run in a fresh process: is the parser loaded after it?
    const script = `
      const { lint } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/index.js'))});
      const { ALL_RULES } = await import(${JSON.stringify(path.join(ROOT, 'dist/rules/index.js'))});
      const { parserReady } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/sql/parser.js'))});
      const r = await lint({ paths: ['migrations'], rules: ALL_RULES, cwd: process.cwd(), cache: { location: 'node_modules/.cache/ddlguard/', toolVersion: ${JSON.stringify(pkg.version)} } });
      process.stdout.write(JSON.stringify({ parsed: parserReady(), findings: r.findings.length }));`;
    const run = () => JSON.parse(spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: p.dir, encoding: 'utf8' }).stdout) as { parsed: boolean; findings: number };
    expect(run()).toEqual({ parsed: true, findings: p.lint().findings.length });
    expect(run()).toEqual({ parsed: false, findings: p.lint().findings.length });
    p.write('migrations/003_index.sql', `-- reviewed\n${FILES['migrations/003_index.sql']}`);
    expect(run().parsed).toBe(true);
  });

  it('--cache-location takes a file or a directory', () => {
    const p = project();
    const fresh = p.lint().stdout;
    expect(p.lint('--cache', '--cache-location', 'c/results.cache').stdout).toBe(fresh);
    expect(verifies(path.join(p.dir, 'c/results.cache'))).toBe(true);
    expect(p.lint('--cache', '--cache-location', 'd/').stdout).toBe(fresh);
    expect(verifies(path.join(p.dir, 'd/lint-cache.json'))).toBe(true);
    expect(existsSync(p.cacheFile)).toBe(false);
  });
});
