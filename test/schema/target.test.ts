/**
 * plan and apply read the target database: keys, column types, indexes and sizes come
 * from it when no history file created the table, and a step that cannot be made
 * online on a table that is not small is refused until the operator allows it.
 * Through the CLI (dist/), on PostgreSQL 15 and 18.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { availableMajors, withDatabase } from '../support/db.js';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');

const REFERENCE = [
  'ALTER TABLE accounts ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid();',
  'CREATE INDEX accounts_email_idx ON accounts (email);',
  'ALTER TABLE accounts ADD CONSTRAINT accounts_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id);',
  'ALTER TABLE accounts ALTER COLUMN qty TYPE bigint;',
].join('\n');

function workdir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-target-'));
  // Small means below 100 rows here, so the tests' tables are "large" without millions of rows.
  writeFileSync(path.join(dir, 'ddlguard.config.json'), JSON.stringify({ planner: { smallTable: { rows: 100 } } }));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function cli(dir: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const base = { ...process.env };
  delete base.DATABASE_URL;
  return spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...base, ...env } });
}

async function sql<T = any>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

const SEED = `
  CREATE TABLE owners (id bigint PRIMARY KEY);
  INSERT INTO owners SELECT g FROM generate_series(1, 50) g;
  CREATE TABLE accounts (id bigint PRIMARY KEY, owner_id bigint, email text, qty int);
  INSERT INTO accounts SELECT g, 1 + g % 50, 'u' || g || '@example.com', g % 1000 FROM generate_series(1, 3000) g;
  ANALYZE owners; ANALYZE accounts;`;

const columnType = (url: string, column: string) =>
  sql<{ t: string }>(url, `SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = '${column}'`).then((r) => r[0]?.t);

describe.each(availableMajors())('the target database as the schema source (PostgreSQL %i)', (major) => {
  it('plans the reference migration online from the database alone, and apply runs it', async () => {
    await withDatabase(major, async (url) => {
      await sql(url, SEED);
      const dir = workdir({ '001.sql': REFERENCE });
      const p = cli(dir, ['plan', '001.sql', '--db', url, '--format', 'json']);
      expect(p.stderr).toBe('');
      expect(p.status).toBe(0);
      const plan = JSON.parse(p.stdout);
      expect(plan.schemaSources).toEqual(['the live database']);
      expect(plan.steps.filter((s: any) => s.blocking)).toEqual([]);
      const backfills = plan.steps.filter((s: any) => s.batch);
      expect(backfills.map((s: any) => s.batch.keyColumns)).toEqual([['id'], ['id']]);
      expect(plan.steps.map((s: any) => s.sql).join('\n')).toMatch(/ADD COLUMN qty__ddlg_new bigint/);
      expect(plan.steps.every((s: any) => !/cannot batch/.test(s.notes.join(' ')))).toBe(true);

      const a = cli(dir, ['apply', '001.sql', '--db', url, '--phase', 'all', '--yes']);
      expect(a.status, a.stderr).toBe(0);
      expect(await columnType(url, 'qty')).toBe('bigint');
      const [row] = await sql(url, `SELECT count(*)::int AS n, count(public_id)::int AS ids, count(DISTINCT public_id)::int AS distinct_ids, sum(qty)::bigint AS qty FROM accounts`);
      expect(row).toEqual({ n: 3000, ids: 3000, distinct_ids: 3000, qty: String(Array.from({ length: 3000 }, (_, i) => (i + 1) % 1000).reduce((x, y) => x + y, 0)) });
      const [nn] = await sql(url, `SELECT attnotnull FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = 'public_id'`);
      expect(nn.attnotnull).toBe(true);
      const [fk] = await sql(url, `SELECT convalidated FROM pg_constraint WHERE conname = 'accounts_owner_fk'`);
      expect(fk.convalidated).toBe(true);
      const [ix] = await sql(url, `SELECT indisvalid FROM pg_index WHERE indexrelid = 'accounts_email_idx'::regclass`);
      expect(ix.indisvalid).toBe(true);
    });
  });

  it('refuses a step that stays blocking on a large table (exit 5, nothing run) until --allow-blocking names it', async () => {
    await withDatabase(major, async (url) => {
      await sql(url, `${SEED} CREATE INDEX accounts_qty_idx ON accounts (qty);`);
      const dir = workdir({ '001.sql': 'ALTER TABLE accounts ALTER COLUMN qty TYPE bigint;\n' });
      const plan = JSON.parse(cli(dir, ['plan', '001.sql', '--db', url, '--format', 'json']).stdout);
      const step = plan.steps[0];
      expect(step.blocking).toMatchObject({ schema: 'public', name: 'accounts', lock: 'ACCESS EXCLUSIVE', work: 'rewrite', size: { rows: 3000 } });
      expect(step.blocking.missing.join(' ')).toMatch(/used by index accounts_qty_idx/);

      const refused = cli(dir, ['apply', '001.sql', '--db', url]);
      // apply logs to stdout
      expect(refused.status).toBe(5);
      expect(refused.stdout).toContain(step.id);
      expect(refused.stdout).toMatch(/rewrite of public\.accounts \(3,000 rows, .*\) under ACCESS EXCLUSIVE, under 1 s/);
      expect(refused.stdout).toMatch(/estimate: rewrite: .* heap (and TOAST )?rewritten at/);
      expect(step.blocking.estimate.work).toBe('rewrite');
      expect(refused.stdout).toMatch(/not online: .*accounts_qty_idx/);
      expect(refused.stdout).toContain(`--allow-blocking ${step.id}`);
      expect(await columnType(url, 'qty')).toBe('integer');
      expect((await sql(url, `SELECT to_regnamespace('ddlguard') AS s`))[0].s).toBeNull();

      // Naming another step is not consent for this one.
      expect(cli(dir, ['apply', '001.sql', '--db', url, '--allow-blocking', 'some-other-step']).status).toBe(5);
      const allowed = cli(dir, ['apply', '001.sql', '--db', url, '--allow-blocking', step.id]);
      expect(allowed.status, allowed.stderr).toBe(0);
      expect(allowed.stdout).toMatch(/allowed to block/);
      expect(await columnType(url, 'qty')).toBe('bigint');
    });
  });

  it('re-reads the size at apply time: a plan made while the table was small is refused once it grew', async () => {
    await withDatabase(major, async (url) => {
      await sql(url, `CREATE TABLE accounts (id bigint PRIMARY KEY, qty int); CREATE INDEX accounts_qty_idx ON accounts (qty);
                      INSERT INTO accounts SELECT g, g FROM generate_series(1, 20) g; ANALYZE accounts;`);
      const dir = workdir({ '001.sql': 'ALTER TABLE accounts ALTER COLUMN qty TYPE bigint;\n' });
      const p = cli(dir, ['plan', '001.sql', '--db', url, '--format', 'json', '-o', 'plan.json']);
      expect(p.status, p.stderr).toBe(0);
      await sql(url, `INSERT INTO accounts SELECT g, g FROM generate_series(21, 5000) g; ANALYZE accounts;`);
      const r = cli(dir, ['apply', 'plan.json', '--db', url]);
      expect(r.status).toBe(5);
      expect(r.stdout).toMatch(/5,000 rows/);
      expect(await columnType(url, 'qty')).toBe('integer');
    });
  });

  it('runs a blocking step on a small table without consent', async () => {
    await withDatabase(major, async (url) => {
      await sql(url, `CREATE TABLE accounts (id bigint PRIMARY KEY, qty int); CREATE INDEX accounts_qty_idx ON accounts (qty);
                      INSERT INTO accounts SELECT g, g FROM generate_series(1, 50) g; ANALYZE accounts;`);
      const dir = workdir({ '001.sql': 'ALTER TABLE accounts ALTER COLUMN qty TYPE bigint;\n' });
      const r = cli(dir, ['apply', '001.sql', '--db', url]);
      expect(r.status, r.stderr).toBe(0);
      expect(await columnType(url, 'qty')).toBe('bigint');
    });
  });
});

describe('a database that cannot be read', () => {
  it('is a clear error (exit 2) that never shows the password', () => {
    const dir = workdir({ '001.sql': 'ALTER TABLE accounts ALTER COLUMN qty TYPE bigint;\n' });
    const bad = 'postgresql://nobody:s3cr3t-pw@127.0.0.1:1/nowhere';
    for (const args of [
      ['plan', '001.sql', '--db', bad],
      ['apply', '001.sql', '--db', bad],
      ['lint', '001.sql', '--db', bad],
    ]) {
      const r = cli(dir, args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^ddlguard: .*--db: cannot read the schema from postgresql:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/nowhere/);
      expect(r.stderr + r.stdout).not.toContain('s3cr3t-pw');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const viaEnv = cli(dir, ['lint', '001.sql'], { DATABASE_URL: bad });
    expect(viaEnv.status).toBe(2);
    expect(viaEnv.stderr).toMatch(/DATABASE_URL: cannot read the schema/);
    expect(viaEnv.stderr).not.toContain('s3cr3t-pw');
    // --no-db: lint from the files alone
    expect(cli(dir, ['lint', '001.sql', '--no-db'], { DATABASE_URL: bad }).status).toBe(1);
  });
});
