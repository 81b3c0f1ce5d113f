import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  discoverMigrations,
  globToRegExp,
  isDownMigration,
  naturalCompare,
  type MigrationFile,
} from '../../src/migrations/discover.js';

const LAYOUTS = fileURLToPath(new URL('../../fixtures/layouts/', import.meta.url));
const fx = (...p: string[]): string => path.join(LAYOUTS, ...p);
const cwd = path.resolve(LAYOUTS);

const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-discover-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));
function tmpTree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpRoot, 't-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const paths = (files: MigrationFile[]): string[] => files.map((f) => f.displayPath);
const discover = (inputs: string[], extra: { includeDown?: boolean; exclude?: string[] } = {}) =>
  discoverMigrations(inputs, { cwd, ...extra });

describe('naturalCompare', () => {
  const sorted = (xs: string[]): string[] => [...xs].sort(naturalCompare);

  it('orders digit runs by value', () => {
    expect(sorted(['10_x.sql', '2_x.sql', '1_x.sql', '002_y.sql'])).toEqual(['1_x.sql', '2_x.sql', '002_y.sql', '10_x.sql']);
    expect(sorted(['V1_10__x', 'V1_2__x', 'V1_1__x'])).toEqual(['V1_1__x', 'V1_2__x', 'V1_10__x']);
  });

  it('orders timestamps and Diesel dates chronologically', () => {
    expect(sorted(['20201001000000_c', '20200101000000_a', '20200201000000_b'])).toEqual([
      '20200101000000_a',
      '20200201000000_b',
      '20201001000000_c',
    ]);
    expect(sorted(['2020-10-01-000000_c/up.sql', '2020-02-01-000000_b/up.sql', '00000000000000_init/up.sql'])).toEqual([
      '00000000000000_init/up.sql',
      '2020-02-01-000000_b/up.sql',
      '2020-10-01-000000_c/up.sql',
    ]);
  });

  it('compares path segments one at a time', () => {
    expect(sorted(['a/z.sql', 'a-b/x.sql', 'a/b/c.sql', 'a/b.sql'])).toEqual(['a/b/c.sql', 'a/b.sql', 'a/z.sql', 'a-b/x.sql']);
    expect(sorted(['m/2_x/up.sql', 'm/10_x/up.sql', 'm/1_x/up.sql'])).toEqual(['m/1_x/up.sql', 'm/2_x/up.sql', 'm/10_x/up.sql']);
  });

  it('is case-insensitive but still a total order', () => {
    expect(naturalCompare('B.sql', 'a.sql')).toBeGreaterThan(0);
    expect(naturalCompare('A.sql', 'a.sql')).not.toBe(0);
    expect(naturalCompare('A.sql', 'a.sql')).toBe(-naturalCompare('a.sql', 'A.sql'));
    expect(naturalCompare('x', 'x')).toBe(0);
    expect(naturalCompare('01', '1')).not.toBe(0);
  });
});

describe('isDownMigration', () => {
  it('recognises each framework’s down/rollback files', () => {
    expect(isDownMigration('migrations/1_x.down.sql')).toBe(true);
    expect(isDownMigration('migrations/1_x.DOWN.SQL')).toBe(true);
    expect(isDownMigration('migrations/2020-01-01-000000_x/down.sql')).toBe(true);
    expect(isDownMigration('db/migration/U1_1__x.sql')).toBe(true);
    expect(isDownMigration(fx('sqitch', 'revert', 'users.sql'))).toBe(true);
    expect(isDownMigration(fx('sqitch', 'verify', 'reports', 'daily.sql'))).toBe(true);
  });

  it('leaves up files alone', () => {
    expect(isDownMigration('migrations/1_x.up.sql')).toBe(false);
    expect(isDownMigration('migrations/2020-01-01-000000_x/up.sql')).toBe(false);
    expect(isDownMigration('db/migration/V1__x.sql')).toBe(false);
    expect(isDownMigration('db/migration/Undo_notes.sql')).toBe(false);
    expect(isDownMigration('db/migration/R__x.sql')).toBe(false);
    expect(isDownMigration(fx('sqitch', 'deploy', 'users.sql'))).toBe(false);
    expect(isDownMigration('/x/download.sql')).toBe(false);
  });

  it('does not mistake an unrelated verify/ directory for sqitch', () => {
    const root = tmpTree({ 'verify/checks.sql': 'SELECT 1;' });
    expect(isDownMigration(path.join(root, 'verify/checks.sql'))).toBe(false);
  });
});

describe('discoverMigrations: layouts', () => {
  it('plain: natural order, recursive, down files and non-SQL skipped', async () => {
    const files = await discover(['plain']);
    expect(paths(files)).toEqual([
      'plain/1_create_users.sql',
      'plain/2_add_email.sql',
      'plain/10_index_email.sql',
      'plain/more/11_orders.sql',
    ]);
    expect(files.every((f) => f.framework === 'plain')).toBe(true);
    expect(files[0]?.path).toBe(fx('plain', '1_create_users.sql'));
    expect(path.isAbsolute(files[0]?.path ?? '')).toBe(true);
  });

  it('flyway: version order across subdirectories, repeatables last, undo skipped', async () => {
    const files = await discover(['flyway']);
    expect(paths(files)).toEqual([
      'flyway/db/migration/V1__create_users.sql',
      'flyway/db/migration/V1_1__add_email.sql',
      'flyway/db/migration/V1_2__add_created_at.sql',
      'flyway/db/migration/extra/V1_5__audit.sql',
      'flyway/db/migration/V1_10__index_email.sql',
      'flyway/db/migration/V2__orders.sql',
      'flyway/db/migration/V3__backfill_names.sql',
      'flyway/db/migration/V4__index_orders.sql',
      'flyway/db/migration/R__user_emails_view.sql',
    ]);
    expect(new Set(files.map((f) => f.framework))).toEqual(new Set(['flyway']));
  });

  it('flyway: undo migrations come right after their version with includeDown', async () => {
    const files = await discover(['flyway/db/migration'], { includeDown: true });
    const names = files.map((f) => path.basename(f.path));
    expect(names.indexOf('U1_1__add_email.sql')).toBe(names.indexOf('V1_1__add_email.sql') + 1);
    expect(names[names.length - 1]).toBe('R__user_emails_view.sql');
  });

  it('golang-migrate: numeric version order, .down.sql skipped', async () => {
    const files = await discover(['golang-migrate/migrations']);
    expect(paths(files)).toEqual([
      'golang-migrate/migrations/1_create_users.up.sql',
      'golang-migrate/migrations/2_add_email.up.sql',
      'golang-migrate/migrations/10_index_email.up.sql',
    ]);
    expect(files.every((f) => f.framework === 'golang-migrate')).toBe(true);
  });

  it('golang-migrate: with includeDown each up comes before its down', async () => {
    const files = await discover(['golang-migrate'], { includeDown: true });
    expect(files.map((f) => path.basename(f.path))).toEqual([
      '1_create_users.up.sql',
      '1_create_users.down.sql',
      '2_add_email.up.sql',
      '2_add_email.down.sql',
      '10_index_email.up.sql',
      '10_index_email.down.sql',
    ]);
  });

  it('dbmate: timestamp order, detected from the markers', async () => {
    const files = await discover(['dbmate']);
    expect(paths(files)).toEqual([
      'dbmate/db/migrations/20200101120000_create_users.sql',
      'dbmate/db/migrations/20200215090000_index_email.sql',
      'dbmate/db/migrations/20210301000000_two_sections.sql',
    ]);
    expect(files.every((f) => f.framework === 'dbmate')).toBe(true);
  });

  it('diesel: ordered by migration directory, down.sql skipped', async () => {
    const files = await discover(['diesel']);
    expect(paths(files)).toEqual([
      'diesel/migrations/00000000000000_diesel_initial_setup/up.sql',
      'diesel/migrations/2020-01-01-000000_create_users/up.sql',
      'diesel/migrations/2020-02-01-000000_index_users/up.sql',
      'diesel/migrations/2020-10-01-000000_create_posts/up.sql',
      'diesel/migrations/2021-01-01-000000_metadata_without_key/up.sql',
    ]);
    expect(files.every((f) => f.framework === 'diesel')).toBe(true);
  });

  it('diesel: with includeDown, up.sql then down.sql per directory', async () => {
    const files = await discover(['diesel/migrations'], { includeDown: true });
    expect(files.slice(0, 4).map((f) => f.displayPath.split('/').slice(-2).join('/'))).toEqual([
      '00000000000000_diesel_initial_setup/up.sql',
      '00000000000000_diesel_initial_setup/down.sql',
      '2020-01-01-000000_create_users/up.sql',
      '2020-01-01-000000_create_users/down.sql',
    ]);
  });

  it('prisma: ordered by migration directory', async () => {
    const files = await discover(['prisma']);
    expect(paths(files)).toEqual([
      'prisma/prisma/migrations/20200101000000_init/migration.sql',
      'prisma/prisma/migrations/20200201000000_add_email/migration.sql',
      'prisma/prisma/migrations/20201001000000_index_email/migration.sql',
    ]);
    expect(files.every((f) => f.framework === 'prisma')).toBe(true);
  });

  it('sqitch: plan order (not alphabetical), revert/verify skipped', async () => {
    const files = await discover(['sqitch']);
    expect(paths(files)).toEqual([
      'sqitch/deploy/appschema.sql',
      'sqitch/deploy/users.sql',
      'sqitch/deploy/insert_user@v1.0.sql',
      'sqitch/deploy/change_pass.sql',
      'sqitch/deploy/reports/daily.sql',
      'sqitch/deploy/insert_user.sql',
    ]);
    expect(files.every((f) => f.framework === 'sqitch')).toBe(true);
  });

  it('sqitch: with includeDown, deploy/verify/revert grouped per change', async () => {
    const files = await discover(['sqitch'], { includeDown: true });
    expect(files).toHaveLength(18);
    expect(paths(files).slice(0, 6)).toEqual([
      'sqitch/deploy/appschema.sql',
      'sqitch/verify/appschema.sql',
      'sqitch/revert/appschema.sql',
      'sqitch/deploy/users.sql',
      'sqitch/verify/users.sql',
      'sqitch/revert/users.sql',
    ]);
  });
});

describe('discoverMigrations: inputs', () => {
  it('accepts single files, including a down file when includeDown is set', async () => {
    expect(paths(await discover(['plain/2_add_email.sql']))).toEqual(['plain/2_add_email.sql']);
    expect(paths(await discover(['plain/2_add_email.down.sql'], { includeDown: true }))).toEqual(['plain/2_add_email.down.sql']);
    // Down files are skipped by default even when named explicitly (e.g. a changed-files list).
    expect(await discover(['plain/2_add_email.down.sql'])).toEqual([]);
  });

  it('expands globs relative to cwd', async () => {
    const files = await discover(['golang-migrate/**/*.up.sql']);
    expect(paths(files)).toEqual([
      'golang-migrate/migrations/1_create_users.up.sql',
      'golang-migrate/migrations/2_add_email.up.sql',
      'golang-migrate/migrations/10_index_email.up.sql',
    ]);
  });

  it('expands globs that match directories (Diesel migration dirs)', async () => {
    const files = await discover(['diesel/migrations/2020-*']);
    expect(paths(files)).toEqual([
      'diesel/migrations/2020-01-01-000000_create_users/up.sql',
      'diesel/migrations/2020-02-01-000000_index_users/up.sql',
      'diesel/migrations/2020-10-01-000000_create_posts/up.sql',
    ]);
  });

  it('accepts absolute paths and globs', async () => {
    expect(paths(await discover([fx('prisma')]))).toHaveLength(3);
    const abs = (await discover([fx('flyway').split(path.sep).join('/') + '/**/V1_[0-9]*.sql'])).map((f) => path.basename(f.path));
    expect(abs).toEqual(['V1_1__add_email.sql', 'V1_2__add_created_at.sql', 'V1_5__audit.sql', 'V1_10__index_email.sql']);
  });

  it('removes duplicates across inputs', async () => {
    const files = await discover([
      'golang-migrate/migrations/2_add_email.up.sql',
      'golang-migrate',
      'golang-migrate/migrations/*.sql',
      './golang-migrate/migrations/2_add_email.up.sql',
    ]);
    expect(paths(files)).toEqual([
      'golang-migrate/migrations/1_create_users.up.sql',
      'golang-migrate/migrations/2_add_email.up.sql',
      'golang-migrate/migrations/10_index_email.up.sql',
    ]);
  });

  it('keeps each layout together when several are given', async () => {
    const files = await discover(['prisma', 'diesel/migrations/2020-01-01-000000_create_users', 'plain/1_create_users.sql']);
    expect(files.map((f) => f.framework)).toEqual(['diesel', 'plain', 'prisma', 'prisma', 'prisma']);
  });

  it('makes displayPath relative to cwd with forward slashes', async () => {
    const files = await discoverMigrations(['layouts/plain/2_add_email.sql'], { cwd: path.dirname(cwd) });
    expect(files[0]?.displayPath).toBe('layouts/plain/2_add_email.sql');
    const outside = await discoverMigrations([fx('plain', '2_add_email.sql')], { cwd: fx('dbmate') });
    expect(outside[0]?.displayPath).toBe('../plain/2_add_email.sql');
  });

  it('returns [] for no inputs', async () => {
    expect(await discover([])).toEqual([]);
  });
});

describe('discoverMigrations: errors', () => {
  it('throws for a missing path', async () => {
    await expect(discover(['nope/missing.sql'])).rejects.toThrow('no migration files match "nope/missing.sql"');
  });

  it('throws for a glob that matches nothing', async () => {
    await expect(discover(['plain/*.psql'])).rejects.toThrow('no migration files match "plain/*.psql"');
    await expect(discover(['**/V999__*.sql'])).rejects.toThrow(/^no migration files match "\*\*\/V999__\*\.sql"/);
  });

  it('throws for a glob that matches only non-SQL files', async () => {
    await expect(discover(['plain/*.md'])).rejects.toThrow(/no migration files match "plain\/\*\.md" \(the glob matched no \.sql files\)/);
  });

  it('throws for a directory without SQL files', async () => {
    const root = tmpTree({ 'empty/notes.txt': 'hi' });
    await expect(discoverMigrations(['empty'], { cwd: root })).rejects.toThrow('no migration files match "empty"');
  });

  it('names the first input that fails', async () => {
    await expect(discover(['plain', 'missing-dir', 'dbmate'])).rejects.toThrow('"missing-dir"');
  });
});

describe('discoverMigrations: exclude', () => {
  it('excludes by name anywhere (no slash)', async () => {
    const files = await discover(['flyway'], { exclude: ['extra'] });
    expect(paths(files)).not.toContain('flyway/db/migration/extra/V1_5__audit.sql');
    expect(files).toHaveLength(8);
    const noRepeatables = await discover(['flyway'], { exclude: ['R__*.sql'] });
    expect(noRepeatables.map((f) => path.basename(f.path))).not.toContain('R__user_emails_view.sql');
  });

  it('excludes by cwd-relative glob and by directory path', async () => {
    expect(paths(await discover(['plain'], { exclude: ['plain/1*.sql'] }))).toEqual([
      'plain/2_add_email.sql',
      'plain/more/11_orders.sql',
    ]);
    expect(paths(await discover(['plain'], { exclude: ['./plain/more/'] }))).toEqual([
      'plain/1_create_users.sql',
      'plain/2_add_email.sql',
      'plain/10_index_email.sql',
    ]);
    expect(await discover(['diesel'], { exclude: ['diesel/**/2020-{01,02}-*'] })).toHaveLength(3);
  });

  it('excludes by absolute path', async () => {
    const files = await discover(['prisma'], { exclude: [fx('prisma', 'prisma', 'migrations', '20200101000000_init')] });
    expect(files).toHaveLength(2);
  });
});

describe('globToRegExp', () => {
  it('supports *, **, ?, classes and braces', () => {
    expect(globToRegExp('*.sql').test('a.sql')).toBe(true);
    expect(globToRegExp('*.sql').test('a/b.sql')).toBe(false);
    expect(globToRegExp('a/**/c.sql').test('a/c.sql')).toBe(true);
    expect(globToRegExp('a/**/c.sql').test('a/x/y/c.sql')).toBe(true);
    expect(globToRegExp('a/**').test('a/x/y')).toBe(true);
    expect(globToRegExp('V?__*.sql').test('V1__x.sql')).toBe(true);
    expect(globToRegExp('[!a]*.sql').test('b.sql')).toBe(true);
    expect(globToRegExp('[!a]*.sql').test('a.sql')).toBe(false);
    expect(globToRegExp('{up,down}.sql').test('down.sql')).toBe(true);
    expect(globToRegExp('a+b(c).sql').test('a+b(c).sql')).toBe(true);
  });
});
