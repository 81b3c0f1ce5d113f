/**
 * lint judges tables known only to the database from the database (--db) or from a
 * schema file (--schema: a snapshot or a pg_dump), with sizes on the findings, and says
 * where two sources disagree. Through the CLI (dist/), on PostgreSQL 15 and 18.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { availableMajors, withDatabase } from '../support/db.js';
import { loadParser } from '../../src/sql/parser.js';
import { introspectLive } from '../../src/schema/sources/live.js';
import { toSnapshot } from '../../src/schema/sources/snapshot.js';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');

beforeAll(async () => {
  await loadParser();
});

const MIGRATION = [
  "SET lock_timeout = '1s';",
  'ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200);', // binary coercible from varchar(100)
  'ALTER TABLE accounts ALTER COLUMN qty TYPE bigint;', // int -> bigint rewrites
  'ALTER TABLE accounts ALTER COLUMN note TYPE text;', // varchar(20) -> text: binary coercible
].join('\n');

const SEED = `CREATE TABLE accounts (id bigint PRIMARY KEY, email varchar(100), qty int, note varchar(20));
  INSERT INTO accounts SELECT g, 'u' || g, g, 'n' FROM generate_series(1, 5000) g; ANALYZE accounts;`;

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-lint-src-'));
  for (const [n, t] of Object.entries(files)) writeFileSync(path.join(dir, n), t);
  return dir;
}

function lint(dir: string, args: string[]) {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const r = spawnSync(process.execPath, [CLI, 'lint', ...args, '--format', 'json'], { cwd: dir, encoding: 'utf8', env });
  return { status: r.status, stderr: r.stderr, out: r.stdout ? JSON.parse(r.stdout) : null };
}

async function seed(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(SEED);
  await c.end();
}

/** Only the rewrite, on line 3, with the table's rows and bytes. */
function expectJudgedFromRealTypes(out: any, sized: boolean): void {
  const findings = out.findings.filter((f: any) => f.rule.startsWith('column-type'));
  expect(findings.map((f: any) => `${f.line}:${f.rule}`)).toEqual(['3:column-type-rewrite']);
  expect(findings[0].message).toMatch(/integer -> bigint is not binary coercible/);
  if (sized) {
    expect(findings[0].size.rows).toBe(5000);
    expect(findings[0].size.bytes).toBeGreaterThan(100_000);
    // A rewrite's estimate from the throughput model, with its range and basis.
    expect(findings[0].estimate).toMatchObject({ work: 'rewrite' });
    expect(findings[0].estimate.ms).toBeGreaterThan(0);
    expect(findings[0].estimate.lowMs).toBeLessThan(findings[0].estimate.ms);
    expect(findings[0].estimate.highMs).toBeGreaterThan(findings[0].estimate.ms);
    expect(findings[0].estimate.basis).toMatch(/^rewrite: .* heap (and TOAST )?rewritten at .*calibrated by bench\/estimates\.ts/);
  } else {
    expect(findings[0].size).toBeUndefined();
    expect(findings[0].estimate).toBeUndefined();
  }
}

describe.each(availableMajors())('lint with the schema from the database or a schema file (PostgreSQL %i)', (major) => {
  it('--db: binary-coercible changes judged from the real types, the rewrite sized', async () => {
    await withDatabase(major, async (url) => {
      await seed(url);
      const dir = dirWith({ 'm.sql': MIGRATION });
      const r = lint(dir, ['m.sql', '--db', url]);
      expect(r.stderr).toBe('');
      expectJudgedFromRealTypes(r.out, true);
      expect(r.out.summary.schema).toEqual(['the live database']);
      expect(r.out.summary.pgVersion).toBe(major);
      // The terminal line, and the config's rates replacing the calibrated ones.
      const tty = spawnSync(process.execPath, [CLI, 'lint', 'm.sql', '--db', url], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(tty.stdout).toMatch(/size: public\.accounts: 5,000 rows, \d+ kB: rewrite under ACCESS EXCLUSIVE, under 1 s/);
      writeFileSync(path.join(dir, 'ddlguard.config.json'), JSON.stringify({ estimates: { rewriteBytesPerSec: 1000, source: 'our staging server' } }));
      const slow = lint(dir, ['m.sql', '--db', url]).out.findings.find((f: any) => f.rule === 'column-type-rewrite');
      expect(slow.estimate.ms).toBeGreaterThan(60_000);
      expect(slow.estimate.basis).toMatch(/our staging server$/);
      // Without a source every change of an unknown column is a possible rewrite, and says so.
      const alone = lint(dir, ['m.sql']);
      expect(alone.out.findings.filter((f: any) => f.rule === 'column-type-rewrite').map((f: any) => f.line)).toEqual([2, 3, 4]);
      expect(alone.out.findings[0].message).toMatch(/not known \(pass --db, --schema or --history\)/);
    });
  });

  it('--schema snapshot.json: the same judgement and sizes with no database reachable', async () => {
    await withDatabase(major, async (url) => {
      await seed(url);
      const live = await introspectLive(url);
      const dir = dirWith({ 'm.sql': MIGRATION, 'schema.json': JSON.stringify(toSnapshot(live.model, { pgVersion: live.pgVersion, source: 'test' })) });
      const r = lint(dir, ['m.sql', '--schema', 'schema.json']);
      expect(r.stderr).toBe('');
      expectJudgedFromRealTypes(r.out, true);
      expect(r.out.summary.schema).toEqual(['schema.json']);
      expect(r.out.summary.pgVersion).toBe(major);
    });
  });

  it('reports a disagreement between the database and the history once, as a note, and uses the database', async () => {
    await withDatabase(major, async (url) => {
      await seed(url);
      const dir = dirWith({ 'm.sql': MIGRATION, '000_init.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY, email varchar(100), qty bigint, note varchar(20));\n' });
      const r = lint(dir, ['m.sql', '--history', '000_init.sql', '--db', url]);
      expectJudgedFromRealTypes(r.out, true);
      expect(r.out.notes).toEqual([{ message: 'public.accounts.qty: type is bigint in the history files but integer in the live database (the live database is used)' }]);
    });
  });
});

describe.skipIf(!availableMajors().includes(15))('lint --schema with a pg_dump (PostgreSQL 15)', () => {
  it('judges the types from the dump', async () => {
    await withDatabase(15, async (url) => {
      await seed(url);
      const dump = execFileSync('pg_dump', ['--schema-only', '--no-owner', url], { encoding: 'utf8' });
      const dir = dirWith({ 'm.sql': MIGRATION, 'dump.sql': dump });
      const r = lint(dir, ['m.sql', '--schema', 'dump.sql']);
      expect(r.stderr).toBe('');
      expectJudgedFromRealTypes(r.out, false);
    });
  });
});

describe('a schema file that cannot be read', () => {
  it('is a usage error (exit 2) naming the file and the position', () => {
    const dir = dirWith({ 'm.sql': MIGRATION, 'bad.json': '{\n  "format": "ddlguard-schema",\n  "version": 1,\n  oops\n}\n', 'old.json': '{"format":"ddlguard-schema","version":7}', 'bad.sql': 'CREATE TABLE t (id int;\n' });
    const run = (file: string) => spawnSync(process.execPath, [CLI, 'lint', 'm.sql', '--schema', file], { cwd: dir, encoding: 'utf8' });
    const json = run('bad.json');
    expect(json.status).toBe(2);
    expect(json.stderr).toMatch(/^ddlguard: bad\.json:4:3: not valid JSON/);
    const old = run('old.json');
    expect(old.status).toBe(2);
    expect(old.stderr).toMatch(/old\.json: \$\.version: unsupported snapshot version 7/);
    const sql = run('bad.sql');
    expect(sql.status).toBe(2);
    expect(sql.stderr).toMatch(/^ddlguard: bad\.sql:1:\d+: syntax error/);
    const missing = run('nope.json');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read nope\.json: no such file/);
  });
});
