/** End-to-end: `ddlguard lint --fix` / `--fix-dry-run` on the built CLI (dist/, built by `npm test`). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');

function run(args: string[], cwd: string, input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', cwd, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmpFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-fix-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const MIGRATION = [
  '-- 001: look users up by name',
  'CREATE INDEX users_name_idx ON users (name);',
  'ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);',
  '',
].join('\n');

const FIXED = [
  '-- 001: look users up by name',
  "SET lock_timeout = '2s';",
  'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);',
  'ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID;',
  'ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive;',
  '',
].join('\n');

describe('ddlguard lint --fix-dry-run', () => {
  it('prints a unified diff, writes nothing, and exits for what would remain', () => {
    const dir = tmpFiles({ 'migrations/001.sql': MIGRATION });
    const r = run(['lint', 'migrations', '--fix-dry-run'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        '--- a/migrations/001.sql',
        '+++ b/migrations/001.sql',
        '@@ -1,3 +1,5 @@',
        ' -- 001: look users up by name',
        '-CREATE INDEX users_name_idx ON users (name);',
        '-ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);',
        "+SET lock_timeout = '2s';",
        '+CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);',
        '+ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID;',
        '+ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive;',
        '',
      ].join('\n'),
    );
    expect(r.stderr).toContain('would fix 4 problems in 1 file');
    expect(readFileSync(path.join(dir, 'migrations/001.sql'), 'utf8')).toBe(MIGRATION);
    // The diff is the one --fix applies: `git apply` gives the same file.
    const g = spawnSync('git', ['apply', '-'], { cwd: dir, input: r.stdout, encoding: 'utf8' });
    expect(g.stderr).toBe('');
    expect(readFileSync(path.join(dir, 'migrations/001.sql'), 'utf8')).toBe(FIXED);
  });

  it('prints nothing when there is nothing to fix, and keeps the exit code of the findings', () => {
    const dir = tmpFiles({ '001.sql': "SET lock_timeout = '1s';\nALTER TABLE users DROP COLUMN bio;\n" });
    const r = run(['lint', '001.sql', '--fix-dry-run'], dir);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('nothing to fix');
    expect(r.code).toBe(1);
  });

  it('works on stdin', () => {
    const r = run(['lint', '-', '--stdin-filepath', 'db/002.sql', '--fix-dry-run'], os.tmpdir(), 'DROP INDEX users_email_idx;\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--- a/db/002.sql');
    expect(r.stdout).toContain('+DROP INDEX CONCURRENTLY users_email_idx;');
  });
});

describe('ddlguard lint --fix', () => {
  it('rewrites the files, then reports what is left', () => {
    const dir = tmpFiles({ 'migrations/001.sql': MIGRATION, 'migrations/002.sql': 'ALTER TABLE users DROP COLUMN bio;\n' });
    const r = run(['lint', 'migrations', '--fix', '--format', 'json'], dir);
    expect(readFileSync(path.join(dir, 'migrations/001.sql'), 'utf8')).toBe(FIXED);
    expect(r.stderr).toContain('fixed 5 problems in 2 files');
    const out = JSON.parse(r.stdout);
    // drop-column has no mechanical fix; the lock_timeout header fixed 002's lock finding.
    expect(out.findings.map((f: any) => `${f.file} ${f.rule}`)).toEqual(['migrations/002.sql drop-column']);
    expect(readFileSync(path.join(dir, 'migrations/002.sql'), 'utf8')).toBe("SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN bio;\n");
    expect(r.code).toBe(1);
    // A second run finds nothing more to fix.
    const again = run(['lint', 'migrations', '--fix'], dir);
    expect(again.stderr).not.toContain('fixed');
    expect(readFileSync(path.join(dir, 'migrations/001.sql'), 'utf8')).toBe(FIXED);
  });

  it('leaves the down section of a dbmate migration alone', () => {
    const text = '-- migrate:up transaction:false\nCREATE INDEX users_name_idx ON users (name);\n\n-- migrate:down\nDROP INDEX users_name_idx;\n';
    const dir = tmpFiles({ 'db/migrations/20240101000000_idx.sql': text });
    const r = run(['lint', 'db/migrations', '--fix'], dir);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'db/migrations/20240101000000_idx.sql'), 'utf8')).toBe(
      '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_idx ON users (name);\n\n-- migrate:down\nDROP INDEX users_name_idx;\n',
    );
  });

  it('keeps a byte order mark', () => {
    const dir = tmpFiles({ '001.sql': `\ufeff${MIGRATION}` });
    run(['lint', '001.sql', '--fix'], dir);
    expect(readFileSync(path.join(dir, '001.sql'), 'utf8')).toBe(`\ufeff${FIXED}`);
  });

  it('refuses stdin and --fix with --fix-dry-run', () => {
    const dir = tmpFiles({ '001.sql': MIGRATION });
    const stdin = run(['lint', '-', '--fix'], dir, MIGRATION);
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toContain('--fix cannot rewrite stdin');
    const both = run(['lint', '001.sql', '--fix', '--fix-dry-run'], dir);
    expect(both.code).toBe(2);
    expect(readFileSync(path.join(dir, '001.sql'), 'utf8')).toBe(MIGRATION);
  });
});
