/** End-to-end: the built CLI (dist/, built by `npm test` before vitest runs). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The package's bin: the launcher and its bundles (scripts/build-cli.mjs).
const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { bin: { ddlguard: string } };
const CLI = path.resolve(__dirname, '../..', pkg.bin.ddlguard);

function run(args: string[], input?: string, cwd?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', cwd: cwd ?? process.cwd(), env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmpFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('ddlguard lint (CLI)', () => {
  it('exits 0 on a clean migration', () => {
    const dir = tmpFiles({ '001.sql': 'CREATE TABLE t (id bigint PRIMARY KEY);\nCREATE INDEX t_id_idx ON t (id);\n' });
    const r = run(['lint', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('exits 1 with file:line:column, rule, lock and fix', () => {
    const dir = tmpFiles({ '001.sql': "SET lock_timeout = '1s';\n\nCREATE INDEX users_email_idx ON users (email);\n" });
    const r = run(['lint', dir, '--format', 'json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['version', 'findings', 'errors', 'summary']);
    const f = out.findings.find((x: any) => x.rule === 'require-concurrent-index');
    expect(f).toMatchObject({ line: 3, column: 1, severity: 'error', lock: { mode: 'SHARE' } });
    expect(f.suggestion).toContain('CREATE INDEX CONCURRENTLY');
  });

  it('reads stdin with --stdin-filepath and reports parse errors with exit 2 and a location', () => {
    const r = run(['lint', '-', '--stdin-filepath', 'db/002.sql', '--format', 'json'], 'SELECT 1;\nALTER TABLE x ADD COLUMNN y int;\n');
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.errors).toEqual([{ file: 'db/002.sql', line: 2, column: 29, message: 'syntax error at or near "int"' }]);
    expect(r.stderr).not.toContain('    at ');
  });

  it('keeps linting other files after a parse error', () => {
    const dir = tmpFiles({ '001.sql': 'CREAT TABLE x ();', '002.sql': 'CREATE INDEX i ON users (a);' });
    const out = JSON.parse(run(['lint', dir, '--format', 'json']).stdout);
    expect(out.errors).toHaveLength(1);
    expect(out.findings.some((f: any) => f.rule === 'require-concurrent-index' && f.file.endsWith('002.sql'))).toBe(true);
  });

  it('honours the severity threshold', () => {
    const dir = tmpFiles({ '001.sql': "SET lock_timeout = '1s';\nALTER TABLE users DROP COLUMN legacy;\n" });
    expect(run(['lint', dir]).code).toBe(1);
    expect(run(['lint', dir, '--severity-threshold', 'error']).code).toBe(0);
  });

  it('exits 2 on usage errors without a stack trace', () => {
    for (const args of [['lint', 'does-not-exist.sql'], ['lint', '--rule', 'no-such-rule', 'x.sql'], ['bogus'], ['lint', '--pg-version', '99', 'x.sql']]) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/ddlguard: |Unknown/);
      expect(r.stderr).not.toContain('    at ');
    }
  });

  it('reports unknown rule ids in ignore comments', () => {
    const dir = tmpFiles({ '001.sql': '-- ddlguard-ignore require-concurent-index\nCREATE INDEX i ON users (a);\n' });
    const out = JSON.parse(run(['lint', dir, '--format', 'json']).stdout);
    expect(out.errors[0].message).toContain('unknown rule id "require-concurent-index"');
  });

  it('lists and explains rules', () => {
    expect(run(['rules']).stdout).toContain('set-not-null-scan');
    const e = run(['explain', 'set-not-null-scan']);
    expect(e.code).toBe(0);
    expect(e.stdout).toContain('CHECK (email IS NOT NULL) NOT VALID');
    expect(run(['explain', 'nope']).code).toBe(2);
  });
});

describe('ddlguard lint with a config file', () => {
  it('reads ddlguard.config.json: pg version, migrations, rule severities', () => {
    const dir = tmpFiles({ 'ddlguard.config.json': JSON.stringify({ pgVersion: 10, migrations: ['.'], rules: { 'require-lock-timeout': 'off' } }), '001.sql': 'ALTER TABLE users ADD COLUMN a int DEFAULT 1;\n' });
    const out = JSON.parse(run(['lint', '--format', 'json'], undefined, dir).stdout);
    expect(out.findings.map((f: any) => f.rule)).toEqual(['add-column-default-rewrite']);
    expect(out.summary.pgVersion).toBe(10);
  });
  it('names the bad key and the file, exit 2', () => {
    const dir = tmpFiles({ 'ddlguard.config.json': '{\n  "pgVersion": "abc"\n}\n', '001.sql': 'SELECT 1;' });
    const r = run(['lint', '001.sql'], undefined, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ddlguard\.config\.json:2:\d+: pgVersion/);
  });
});

describe('ddlguard init and config for plan', () => {
  it('init detects db/migrations and writes a config lint then uses', () => {
    const dir = tmpFiles({});
    mkdirSync(path.join(dir, 'db', 'migrations'), { recursive: true });
    writeFileSync(path.join(dir, 'db', 'migrations', '001.sql'), 'CREATE INDEX i ON users (a);\n');
    const init = run(['init'], undefined, dir);
    expect(init.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'ddlguard.config.json'), 'utf8'))).toMatchObject({ migrations: ['db/migrations'], pgVersion: 15 });
    expect(run(['init'], undefined, dir).code).toBe(2); // refuses to overwrite
    // the existing migration is recorded as released (the baseline): lint has nothing new to report, --all lints it
    expect(run(['lint'], undefined, dir).stdout).toContain('no migrations to lint: db/migrations/001.sql is released');
    const out = JSON.parse(run(['lint', '--all', '--format', 'json'], undefined, dir).stdout);
    expect(out.findings.some((f: any) => f.rule === 'require-concurrent-index' && f.file === 'db/migrations/001.sql')).toBe(true);
    // --no-baseline: every migration is linted
    expect(run(['init', '--force', '--no-baseline'], undefined, dir).code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'ddlguard.config.json'), 'utf8')).baseline).toBeUndefined();
    expect(JSON.parse(run(['lint', '--format', 'json'], undefined, dir).stdout).findings.length).toBeGreaterThan(0);
  });
  it('init points $schema at the installed package\'s ddlguard.schema.json, and leaves it out without one', () => {
    const dir = tmpFiles({});
    mkdirSync(path.join(dir, 'db', 'migrations'), { recursive: true });
    writeFileSync(path.join(dir, 'db', 'migrations', '001.sql'), 'CREATE INDEX CONCURRENTLY i ON users (a);\n');
    expect(run(['init'], undefined, dir).code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'ddlguard.config.json'), 'utf8')).$schema).toBeUndefined();
    mkdirSync(path.join(dir, 'node_modules', 'ddlguard'), { recursive: true });
    writeFileSync(path.join(dir, 'node_modules', 'ddlguard', 'ddlguard.schema.json'), readFileSync(path.resolve(__dirname, '../../ddlguard.schema.json')));
    expect(run(['init', '--force'], undefined, dir).code).toBe(0);
    const config = JSON.parse(readFileSync(path.join(dir, 'ddlguard.config.json'), 'utf8'));
    expect(Object.keys(config)[0]).toBe('$schema');
    expect(config.$schema).toBe('./node_modules/ddlguard/ddlguard.schema.json');
    expect(run(['lint'], undefined, dir).code).toBe(0);
  });
  it('plan reads the planner and apply settings from the config', () => {
    const dir = tmpFiles({
      'ddlguard.config.json': JSON.stringify({ pgVersion: 16, apply: { maxLockTimeout: '750ms', retries: 9 } }),
      '001.sql': 'ALTER TABLE users ADD COLUMN c int;\n',
    });
    const plan = JSON.parse(run(['plan', '001.sql', '--format', 'json'], undefined, dir).stdout);
    expect(plan.pgVersion).toBe(16);
    expect(plan.steps[0].guard).toMatchObject({ kind: 'lock-timeout', lockTimeoutMs: 750, retries: 9 });
  });
});
