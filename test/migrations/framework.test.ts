import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadParser } from '../../src/sql/parser.js';
import {
  dbmateMarkers,
  detectFramework,
  findSqitchLayout,
  flywayNonTransactionalStatements,
  opensOwnTransaction,
  parseFlywayName,
  parseGolangMigrateName,
  roughStatements,
} from '../../src/migrations/framework.js';
import { dbmateDownRanges, upSection } from '../../src/migrations/sections.js';

beforeAll(() => loadParser());

const LAYOUTS = fileURLToPath(new URL('../../fixtures/layouts/', import.meta.url));
const fx = (...p: string[]): string => path.join(LAYOUTS, ...p);
const read = (...p: string[]): string => readFileSync(fx(...p), 'utf8');

const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-framework-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));
function tmpTree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpRoot, 't-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe('file-name grammars', () => {
  it('parses Flyway names', () => {
    expect(parseFlywayName('V1__init.sql')).toEqual({ kind: 'V', version: ['1'], description: 'init' });
    expect(parseFlywayName('V1_2__add.sql')).toEqual({ kind: 'V', version: ['1', '2'], description: 'add' });
    expect(parseFlywayName('V1.10__x.sql')?.version).toEqual(['1', '10']);
    expect(parseFlywayName('V010__x.sql')?.version).toEqual(['10']);
    expect(parseFlywayName('U1_1__x.sql')?.kind).toBe('U');
    expect(parseFlywayName('R__view.sql')).toEqual({ kind: 'R', version: [], description: 'view' });
    expect(parseFlywayName('R1__x.sql')).toBeNull();
    expect(parseFlywayName('V__x.sql')).toBeNull();
    expect(parseFlywayName('V1_x.sql')).toBeNull();
    expect(parseFlywayName('v1__x.sql')).toBeNull();
  });

  it('parses golang-migrate names', () => {
    expect(parseGolangMigrateName('000123_add_users.up.sql')).toEqual({ version: '000123', title: 'add_users', direction: 'up' });
    expect(parseGolangMigrateName('5_x.down.sql')?.direction).toBe('down');
    expect(parseGolangMigrateName('add_users.up.sql')).toBeNull();
    expect(parseGolangMigrateName('5_x.sql')).toBeNull();
  });
});

describe('roughStatements', () => {
  it('splits on top-level semicolons only', () => {
    const sql = [
      "-- a comment; with a semicolon",
      "INSERT INTO t VALUES ('a;b', E'c\\';d');",
      '/* block; /* nested; */ still comment; */',
      'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN; RETURN 1; END $body$;',
      'select   "semi;colon"   from   t',
    ].join('\n');
    expect(roughStatements(sql)).toEqual([
      "INSERT INTO T VALUES ('', '')",
      "CREATE FUNCTION F() RETURNS INT LANGUAGE PLPGSQL AS ''",
      'SELECT "SEMI;COLON" FROM T',
    ]);
  });

  it('finds a script-level BEGIN but not one inside a DO block', () => {
    expect(opensOwnTransaction('BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;')).toBe(true);
    expect(opensOwnTransaction('start transaction isolation level serializable;')).toBe(true);
    expect(opensOwnTransaction('DO $$ BEGIN RAISE NOTICE $q$hi$q$; END $$;')).toBe(false);
    expect(opensOwnTransaction('CREATE TABLE t (id int);')).toBe(false);
  });

  it("mirrors Flyway's non-transactional statement list", () => {
    expect(flywayNonTransactionalStatements('create unique index concurrently i on t (a); select 1;')).toHaveLength(1);
    expect(flywayNonTransactionalStatements('DROP INDEX CONCURRENTLY i;')).toHaveLength(1);
    expect(flywayNonTransactionalStatements('VACUUM t; ALTER SYSTEM SET x = 1;')).toHaveLength(2);
    expect(flywayNonTransactionalStatements("-- CREATE INDEX CONCURRENTLY i ON t (a);\nSELECT 'CREATE INDEX CONCURRENTLY';")).toHaveLength(0);
    expect(flywayNonTransactionalStatements("ALTER TYPE mood ADD VALUE 'meh';")).toHaveLength(0);
  });
});

describe('detectFramework: plain', () => {
  it('treats unrecognised files as psql -f (autocommit, not wrapped)', () => {
    const info = detectFramework(fx('plain', '1_create_users.sql'));
    expect(info.framework).toBe('plain');
    expect(info.wrapsInTransaction).toBe(false);
    expect(info.sentAsOneQuery).toBe(false);
    expect(info.why).toMatch(/autocommit/i);
  });

  it('notes a file that opens its own transaction', () => {
    const info = detectFramework(fx('plain', 'more', '11_orders.sql'));
    expect(info.framework).toBe('plain');
    expect(info.wrapsInTransaction).toBe(false);
    expect(info.why).toMatch(/BEGIN/);
  });

  it('works on text alone for a path that does not exist', () => {
    expect(detectFramework('/nonexistent/some.sql', 'SELECT 1;').framework).toBe('plain');
  });
});

describe('detectFramework: Flyway', () => {
  const dir = ['flyway', 'db', 'migration'];

  it('wraps versioned, repeatable and undo migrations by default', () => {
    for (const f of ['V1__create_users.sql', 'V1_1__add_email.sql', 'R__user_emails_view.sql', 'U1_1__add_email.sql']) {
      const info = detectFramework(fx(...dir, f));
      expect(info.framework, f).toBe('flyway');
      expect(info.wrapsInTransaction, f).toBe(true);
      expect(info.why).toMatch(/executeInTransaction defaults to true/);
    }
  });

  it('follows the parser: a CONCURRENTLY-only migration runs without a transaction', () => {
    const info = detectFramework(fx(...dir, 'V1_10__index_email.sql'));
    expect(info.wrapsInTransaction).toBe(false);
    expect(info.why).toMatch(/detectCanExecuteInTransaction/);
    expect(info.why).not.toMatch(/mixed/);
  });

  it('warns when CONCURRENTLY is mixed with transactional statements', () => {
    const info = detectFramework(
      '/x/V9__mixed.sql',
      'ALTER TABLE t ADD COLUMN c int;\nCREATE INDEX CONCURRENTLY i ON t (c);',
    );
    expect(info.framework).toBe('flyway');
    expect(info.wrapsInTransaction).toBe(false);
    expect(info.why).toMatch(/mixed=true/);
  });

  it('reads executeInTransaction from <script>.sql.conf', () => {
    const info = detectFramework(fx(...dir, 'V3__backfill_names.sql'));
    expect(info.wrapsInTransaction).toBe(false);
    expect(info.why).toMatch(/V3__backfill_names\.sql\.conf sets executeInTransaction=false/);
  });

  it('reads an in-script "-- flyway:executeInTransaction" line', () => {
    const info = detectFramework(fx(...dir, 'V4__index_orders.sql'));
    expect(info.wrapsInTransaction).toBe(false);
    expect(info.why).toMatch(/flyway:executeInTransaction=false/);
    const forced = detectFramework('/x/V5__y.sql', '-- flyway:executeInTransaction=true\nCREATE INDEX CONCURRENTLY i ON t (a);');
    expect(forced.wrapsInTransaction).toBe(true);
  });

  it('lets a .sql.conf override the in-script setting and auto-detection', () => {
    const root = tmpTree({
      'V1__idx.sql': '-- flyway:executeInTransaction=false\nCREATE INDEX CONCURRENTLY i ON t (a);\n',
      'V1__idx.sql.conf': 'executeInTransaction=true\n',
    });
    expect(detectFramework(path.join(root, 'V1__idx.sql')).wrapsInTransaction).toBe(true);
  });
});

describe('detectFramework: golang-migrate', () => {
  it('sends the whole file as one implicit transaction', () => {
    for (const f of ['1_create_users.up.sql', '10_index_email.up.sql', '2_add_email.down.sql']) {
      const info = detectFramework(fx('golang-migrate', 'migrations', f));
      expect(info.framework, f).toBe('golang-migrate');
      expect(info.wrapsInTransaction).toBe(true);
      expect(info.sentAsOneQuery).toBe(true);
      expect(info.why).toMatch(/implicit transaction/);
      expect(info.why).toMatch(/x-multi-statement/);
    }
  });
});

describe('detectFramework: dbmate', () => {
  const dir = ['dbmate', 'db', 'migrations'];

  it('wraps a migration with a plain "-- migrate:up" marker', () => {
    const info = detectFramework(fx(...dir, '20200101120000_create_users.sql'));
    expect(info).toMatchObject({ framework: 'dbmate', wrapsInTransaction: true, sentAsOneQuery: true });
  });

  it('reads transaction:false from the marker line', () => {
    const info = detectFramework(fx(...dir, '20200215090000_index_email.sql'));
    expect(info.framework).toBe('dbmate');
    expect(info.wrapsInTransaction).toBe(false);
    expect(info.why).toMatch(/transaction:false/);
    expect(info.why).toMatch(/implicit transaction/);
  });

  it('reports files whose up sections disagree as not (fully) wrapped', () => {
    const info = detectFramework(fx(...dir, '20210301000000_two_sections.sql'));
    expect(info.wrapsInTransaction).toBe(false);
    expect(info.why).toMatch(/2 up sections and 1 of them uses transaction:false/);
  });

  it('is detected from text, whatever the file is called', () => {
    expect(detectFramework('/x/V1__looks_like_flyway.sql', '-- migrate:up\nSELECT 1;\n-- migrate:down\n').framework).toBe('dbmate');
    expect(detectFramework('/x/a.sql', '--migrate:up transaction:false\nSELECT 1;\n').wrapsInTransaction).toBe(false);
    // dbmate requires the marker at the start of a line.
    expect(detectFramework('/x/a.sql', '  -- migrate:up\nSELECT 1;\n').framework).toBe('plain');
    expect(detectFramework('/x/a.sql', 'SELECT 1; -- migrate:up\n').framework).toBe('plain');
  });

  it('parses marker options like dbmate', () => {
    const markers = dbmateMarkers('-- migrate:up transaction:false foo:bar junk\nx\n-- migrate:down\ny\n');
    expect(markers.map((m) => m.direction)).toEqual(['up', 'down']);
    expect(markers[0]?.options).toEqual({ transaction: 'false', foo: 'bar' });
    expect(markers[1]?.options).toEqual({});
  });
});

describe('detectFramework: Diesel', () => {
  const dir = ['diesel', 'migrations'];

  it('wraps each migration by default', () => {
    for (const d of ['00000000000000_diesel_initial_setup', '2020-01-01-000000_create_users']) {
      const info = detectFramework(fx(...dir, d, 'up.sql'));
      expect(info.framework, d).toBe('diesel');
      expect(info.wrapsInTransaction, d).toBe(true);
    }
  });

  it('reads run_in_transaction = false from metadata.toml beside up.sql', () => {
    const info = detectFramework(fx(...dir, '2020-02-01-000000_index_users', 'up.sql'));
    expect(info.wrapsInTransaction).toBe(false);
    expect(info.why).toMatch(/run_in_transaction = false/);
    expect(info.sentAsOneQuery).toBe(true);
  });

  it("treats a metadata.toml without the key as false, like Diesel's serde default", () => {
    const info = detectFramework(fx(...dir, '2021-01-01-000000_metadata_without_key', 'up.sql'));
    expect(info.wrapsInTransaction).toBe(false);
    expect(info.why).toMatch(/serde\(default\)/);
  });

  it('recognises down.sql too (for --include-down)', () => {
    expect(detectFramework(fx(...dir, '2020-01-01-000000_create_users', 'down.sql')).framework).toBe('diesel');
  });

  it('does not claim an up.sql outside a migration directory', () => {
    expect(detectFramework('/x/scripts/up.sql', 'SELECT 1;').framework).toBe('plain');
  });
});

describe('detectFramework: Prisma', () => {
  it('runs migration.sql as one implicit transaction', () => {
    const info = detectFramework(fx('prisma', 'prisma', 'migrations', '20200201000000_add_email', 'migration.sql'));
    expect(info).toMatchObject({ framework: 'prisma', wrapsInTransaction: true, sentAsOneQuery: true });
    expect(info.why).toMatch(/migration_lock\.toml present/);
    expect(info.why).toMatch(/14456/);
  });

  it('needs the migrations/<dir>/migration.sql shape', () => {
    expect(detectFramework('/x/migration.sql', 'SELECT 1;').framework).toBe('plain');
  });
});

describe('detectFramework: Sqitch', () => {
  it('does not wrap deploy scripts and notices their own BEGIN/COMMIT', () => {
    const info = detectFramework(fx('sqitch', 'deploy', 'appschema.sql'));
    expect(info).toMatchObject({ framework: 'sqitch', wrapsInTransaction: false, sentAsOneQuery: false });
    expect(info.why).toMatch(/sqitch\.plan found/);
    expect(info.why).toMatch(/does open one/);
  });

  it('flags a deploy script without BEGIN as autocommit', () => {
    const info = detectFramework(fx('sqitch', 'deploy', 'reports', 'daily.sql'));
    expect(info.framework).toBe('sqitch');
    expect(info.why).toMatch(/autocommits/);
  });

  it('finds the layout for nested change names and revert/verify scripts', () => {
    expect(findSqitchLayout(fx('sqitch', 'deploy', 'reports', 'daily.sql'))).toMatchObject({
      kind: 'deploy',
      change: 'reports/daily',
      topDir: fx('sqitch'),
      planFile: fx('sqitch', 'sqitch.plan'),
    });
    expect(findSqitchLayout(fx('sqitch', 'revert', 'users.sql'))?.kind).toBe('revert');
    expect(detectFramework(fx('sqitch', 'verify', 'users.sql')).framework).toBe('sqitch');
  });

  it('accepts deploy/ without a plan but not a lone verify/ directory', () => {
    const root = tmpTree({ 'a/deploy/x.sql': 'SELECT 1;', 'b/verify/x.sql': 'SELECT 1;' });
    const deploy = detectFramework(path.join(root, 'a/deploy/x.sql'));
    expect(deploy.framework).toBe('sqitch');
    expect(deploy.why).toMatch(/no sqitch\.plan found/);
    expect(detectFramework(path.join(root, 'b/verify/x.sql')).framework).toBe('plain');
  });
});

describe('upSection', () => {
  it('returns non-dbmate text unchanged', () => {
    const text = read('golang-migrate', 'migrations', '10_index_email.up.sql');
    for (const fw of ['plain', 'flyway', 'golang-migrate', 'diesel', 'prisma', 'sqitch'] as const) {
      expect(upSection(text, fw)).toBe(text);
    }
    // Even if it happens to contain dbmate markers.
    const marked = '-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n';
    expect(upSection(marked, 'plain')).toBe(marked);
  });

  it('blanks the down section of a dbmate file, preserving positions', () => {
    const text = read('dbmate', 'db', 'migrations', '20200101120000_create_users.sql');
    const up = upSection(text, 'dbmate');
    expect(up.length).toBe(text.length);
    expect(up.split('\n').length).toBe(text.split('\n').length);
    expect(up).not.toMatch(/DROP TABLE/);
    expect(up).not.toMatch(/migrate:down/);
    // Up statements are byte-for-byte where they were.
    const at = text.indexOf('CREATE TABLE users');
    expect(up.indexOf('CREATE TABLE users')).toBe(at);
    expect(up.slice(0, text.indexOf('-- migrate:down'))).toBe(text.slice(0, text.indexOf('-- migrate:down')));
    // The down lines become whitespace of the same length.
    const lines = text.split('\n');
    const upLines = up.split('\n');
    const downLine = lines.findIndex((l) => l.startsWith('DROP TABLE'));
    expect(upLines[downLine]).toBe(' '.repeat(lines[downLine]?.length ?? 0));
  });

  it('handles several up/down pairs: each down section runs to the next up marker', () => {
    const text = read('dbmate', 'db', 'migrations', '20210301000000_two_sections.sql');
    const up = upSection(text, 'dbmate');
    expect(up.length).toBe(text.length);
    expect(up).toContain('ALTER TABLE users ADD COLUMN email text;');
    expect(up).toContain('CREATE INDEX CONCURRENTLY users_email_idx ON users (email);');
    expect(up).not.toContain('DROP COLUMN');
    expect(up).not.toContain('DROP INDEX');
    const second = text.indexOf('-- migrate:up transaction:false');
    expect(up.indexOf('-- migrate:up transaction:false')).toBe(second);
    expect(up.indexOf('CREATE INDEX CONCURRENTLY')).toBe(text.indexOf('CREATE INDEX CONCURRENTLY'));
    expect(dbmateDownRanges(text)).toHaveLength(2);
  });

  it('keeps CRLF line breaks and string length with non-ASCII text in the down section', () => {
    const text = '-- migrate:up\r\nSELECT \'ok\';\r\n-- migrate:down\r\nSELECT \'héllo 👋\';\r\n';
    const up = upSection(text, 'dbmate');
    expect(up.length).toBe(text.length);
    expect(up.match(/\r\n/g)?.length).toBe(4);
    expect(up.startsWith("-- migrate:up\r\nSELECT 'ok';\r\n")).toBe(true);
    expect(up.slice(text.indexOf('-- migrate:down'))).toMatch(/^[ \r\n]+$/);
  });

  it('leaves a dbmate file without a down marker alone', () => {
    const text = '-- migrate:up\nSELECT 1;\n';
    expect(upSection(text, 'dbmate')).toBe(text);
  });
});
