/**
 * What a finding says was searched stays short on a layout with a folder per migration
 * (Diesel, Prisma, sqitch): the globs, the file count and one entry per migration root.
 * The full lists are in the JSON summary (summary.readers.code.full) and behind --verbose.
 * The Diesel project (300 migration folders, Rust code) is generated here in a temp dir.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');
const FOLDERS = 300;

function write(root: string, file: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
}

/** A Diesel project: migrations/<version>_<name>/{up,down}.sql, crates/**.rs reading users.email. */
export function dieselProject(folders = FOLDERS): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-diesel-'));
  const version = (i: number) => `2020-01-01-${String(i).padStart(6, '0')}`;
  write(dir, `migrations/${version(0)}_create_users/up.sql`, 'CREATE TABLE users (id bigint PRIMARY KEY, email text, name text);\n');
  write(dir, `migrations/${version(0)}_create_users/down.sql`, 'DROP TABLE users;\n');
  for (let i = 1; i < folders; i++) {
    write(dir, `migrations/${version(i)}_table_${i}/up.sql`, `CREATE TABLE table_${i} (id bigint PRIMARY KEY, note text);\n`);
    write(dir, `migrations/${version(i)}_table_${i}/down.sql`, `DROP TABLE table_${i};\n`);
  }
  write(dir, 'crates/api/src/user.rs', 'pub async fn email(pool: &PgPool, id: i64) -> String {\n    sqlx::query_scalar("SELECT email FROM users WHERE id = $1").bind(id).fetch_one(pool).await.unwrap()\n}\n');
  write(dir, 'crates/db/src/schema.rs', 'diesel::table! {\n    users (id) {\n        id -> Int8,\n        email -> Nullable<Text>,\n    }\n}\n');
  for (let i = 0; i < 20; i++) write(dir, `crates/other/src/m${i}.rs`, `pub fn f${i}() -> i64 { ${i} }\n`);
  write(dir, 'ddlguard.config.json', JSON.stringify({ migrations: ['migrations'], readers: { paths: ['crates/**/*.rs'] } }, null, 2));
  write(dir, 'migrations/2030-01-01-000000_drop_email/up.sql', "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN email;\n");
  write(dir, 'migrations/2030-01-01-000000_drop_email/down.sql', 'ALTER TABLE users ADD COLUMN email text;\n');
  return dir;
}

function lint(dir: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.DATABASE_URL;
  const r = spawnSync(process.execPath, [CLI, 'lint', 'migrations/2030-01-01-000000_drop_email/up.sql', ...args], { cwd: dir, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('evidence summaries on a Diesel layout with 300 migration folders', () => {
  let dir: string;
  beforeAll(() => {
    dir = dieselProject();
  });

  it('tty: the "Searched:" line of a drop stays under 300 characters and names the migration root once', () => {
    const r = lint(dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const line = r.stdout.split('\n').find((l) => l.includes('Searched:'))!;
    expect(line.trim()).toBe('Searched: 22 files matching crates/**/*.rs, excluding the migrations in migrations/.');
    expect(line.length).toBeLessThan(300);
    // no migration folder is named anywhere in the output
    expect(r.stdout).not.toContain('2020-01-01-000001');
    expect(r.stdout).toContain('crates/api/src/user.rs:2  parsed-sql (strong)');
  });

  it('json: findings carry the short summary; summary.readers.code.full has every file searched and every exclude', () => {
    const r = lint(dir, '--format', 'json');
    const out = JSON.parse(r.stdout);
    const f = out.findings.find((x: any) => x.rule === 'drop-column');
    expect(f.severity).toBe('error');
    expect(f.evidence.found).toBe('strong');
    expect(f.evidence.readers.searched.code).toMatchObject({ globs: ['crates/**/*.rs'], exclude: [], migrations: ['migrations/**'], files: 22 });
    expect(f.evidence.readers.searched.code.full).toBeUndefined();
    expect(JSON.stringify(f).length).toBeLessThan(6000);
    const code = out.summary.readers.code;
    expect(code.migrations).toEqual(['migrations/**']);
    expect(code.full.files).toHaveLength(22);
    expect(code.full.files).toContain('crates/api/src/user.rs');
    expect(code.full.exclude).toEqual(['**/node_modules/**', '**/.git/**', 'migrations/**']);
    // every format renders the same short line (SARIF, GitHub annotations, Markdown)
    for (const format of ['sarif', 'github', 'markdown']) {
      const text = lint(dir, '--format', format).stdout;
      expect(text, format).not.toContain('2020-01-01-000001');
      const lines = text.match(/Searched: [^"\\\n%]*/g) ?? [];
      expect(lines.length, format).toBeGreaterThan(0);
      for (const l of lines) expect(l.length, format).toBeLessThan(300);
    }
  });

  it('--verbose lists every file searched after the findings (tty)', () => {
    const r = lint(dir, '--verbose');
    expect(r.stdout).toContain('Readers searched 22 files matching crates/**/*.rs:');
    expect(r.stdout).toContain('\n  crates/other/src/m19.rs\n');
    expect(r.stdout).toContain('\n  migrations/**\n');
  });
});
