import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { runPlan } from '../../src/cli/commands/plan.js';
import { filterPhase, type Plan } from '../../src/plan/model.js';
import { planMigration, PlanError } from '../../src/plan/planner.js';
import { renderJson } from '../../src/plan/render/json.js';
import { renderMarkdown } from '../../src/plan/render/markdown.js';
import { renderSql } from '../../src/plan/render/sql.js';
import { loadParser } from '../../src/sql/parser.js';
import { FIXTURES, fixture, seedFor } from './support.js';

beforeAll(async () => {
  await loadParser();
});

const SEED = seedFor('base');

function plan(sql: string, pgVersion = 15, extra: Partial<Parameters<typeof planMigration>[1]> = {}): Plan {
  return planMigration([{ path: 'm.sql', text: sql }], { pgVersion, history: [{ path: 'seed.sql', text: SEED }], ...extra });
}

describe('planMigration', () => {
  it('is plain JSON with stable ids and the source position', () => {
    const p = plan('\n\nCREATE INDEX users_email_idx ON users (email);');
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
    expect(p.version).toBe(1);
    expect(p.steps[0]).toMatchObject({
      id: '0001-create-index-users_email_idx',
      phase: 'expand',
      transaction: 'none',
      lock: { mode: 'SHARE UPDATE EXCLUSIVE', relation: 'public.users' },
      guard: { kind: 'none' },
      source: { file: 'm.sql', line: 3, column: 1 },
    });
    expect(p.steps[0]!.cleanup?.sql).toBe('DROP INDEX CONCURRENTLY IF EXISTS users_email_idx');
    expect(plan('\n\nCREATE INDEX users_email_idx ON users (email);').id).toBe(p.id);
  });

  it('keeps simple forms for tables created in the same migration', () => {
    const p = plan('CREATE TABLE t (id int PRIMARY KEY, a int); CREATE INDEX t_a ON t (a); ALTER TABLE t ALTER COLUMN a SET NOT NULL; UPDATE t SET a = 1;');
    expect(p.steps.map((s) => s.sql)).toEqual(['CREATE TABLE t (id int PRIMARY KEY, a int)', 'CREATE INDEX t_a ON t (a)', 'ALTER TABLE t ALTER COLUMN a SET NOT NULL', 'UPDATE t SET a = 1']);
    expect(p.steps.every((s) => s.guard.kind === 'none')).toBe(true);
  });

  it('keeps small tables simple (under a guard) when sizes are known', () => {
    const p = plan('CREATE INDEX users_email_idx ON users (email);', 15, { tableSizes: new Map([['public.users', { rows: 50, bytes: 8192 }]]) });
    expect(p.steps).toHaveLength(1);
    expect(p.steps[0]).toMatchObject({ rewrite: 'small-table', sql: 'CREATE INDEX users_email_idx ON users (email)', guard: { kind: 'lock-timeout' } });
    expect(p.steps[0]!.notes.join(' ')).toMatch(/50 rows < 10000/);
  });

  it('says why when a table has no primary key to batch by, and keeps the statement guarded', () => {
    const p = plan('UPDATE tags SET label = upper(label);');
    expect(p.steps).toHaveLength(1);
    expect(p.steps[0]).toMatchObject({ rewrite: 'guard', sql: 'UPDATE tags SET label = upper(label)' });
    expect(p.steps[0]!.notes.join(' ')).toMatch(/no primary key/);
  });

  it('says why for unknown tables (no history)', () => {
    const p = planMigration([{ path: 'm.sql', text: 'DELETE FROM ghosts WHERE id < 5;' }], { pgVersion: 15 });
    expect(p.steps[0]!.notes.join(' ')).toMatch(/table public\.ghosts is not defined by any source, so its keys are unknown: pass --db, --schema or --history/);
    expect(p.steps[0]!.guard.kind).toBe('lock-timeout');
  });

  it('refuses to move an indexed column to a new one, with a note', () => {
    const p = plan('CREATE INDEX users_age_idx ON users (age);\nALTER TABLE users ALTER COLUMN age TYPE bigint;');
    const step = p.steps.find((s) => s.source.line === 2)!;
    expect(step.rewrite).toBe('guard');
    expect(step.notes.join(' ')).toMatch(/used by index users_age_idx/);
  });

  it('splits multi-command ALTER TABLE and rewrites each command', () => {
    const p = plan('ALTER TABLE users ADD COLUMN x int, ADD CONSTRAINT users_x_check CHECK (x > 0);');
    expect(p.steps.map((s) => s.rewrite)).toEqual(['guard', 'constraint-not-valid', 'constraint-not-valid']);
    expect(p.steps[1]!.sql).toBe('ALTER TABLE users ADD CONSTRAINT users_x_check CHECK (x > 0) NOT VALID');
  });

  it('uses NOT NULL NOT VALID on PostgreSQL 18 and the CHECK dance before', () => {
    expect(plan('ALTER TABLE users ALTER COLUMN email SET NOT NULL;', 18).steps.map((s) => s.sql)).toEqual([
      'ALTER TABLE users ADD CONSTRAINT users_email_not_null NOT NULL email NOT VALID',
      'ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null',
    ]);
    expect(plan('ALTER TABLE users ALTER COLUMN email SET NOT NULL;', 15).steps).toHaveLength(4);
    expect(plan('ALTER TABLE users ALTER COLUMN email SET NOT NULL;', 11).steps[0]!.rewrite).toBe('guard');
  });

  it('respects version gates (REINDEX CONCURRENTLY 12+, DETACH CONCURRENTLY 14+)', () => {
    expect(plan('REINDEX TABLE users;', 11).steps[0]!.notes.join(' ')).toMatch(/needs PostgreSQL 12/);
    expect(plan('REINDEX TABLE users;', 12).steps[0]!.sql).toBe('REINDEX TABLE CONCURRENTLY users');
  });

  it('drops BEGIN/COMMIT and timeouts with plan notes', () => {
    const p = plan(fixture('guard.sql'));
    expect(p.notes.map((n) => n.message).join('\n')).toMatch(/BEGIN: dropped/);
    expect(p.steps.some((s) => /lock_timeout/i.test(s.sql))).toBe(false);
  });

  it('never lets phases go backwards', () => {
    const p = plan(fixture('add-column.sql') + '\nCREATE INDEX users_email_idx ON users (email);');
    const ranks = p.steps.map((s) => ['expand', 'migrate', 'contract'].indexOf(s.phase));
    expect([...ranks].sort()).toEqual(ranks);
    expect(p.steps.at(-1)!.phase).toBe('migrate');
  });

  it('reports parse errors with a position', () => {
    expect(() => plan('ALTER TABLE users ADD COLUM x int;')).toThrow(PlanError);
  });
});

describe('batch keys', () => {
  /** The plan of `sql` over a history of `seed`; `batched`: its batched steps. */
  function keyed(seed: string, sql: string, pgVersion = 15) {
    const p = planMigration([{ path: 'm.sql', text: sql }], { pgVersion, history: [{ path: 'seed.sql', text: seed }] });
    return { plan: p, batched: p.steps.filter((s) => s.batch), notes: p.steps.flatMap((s) => s.notes).join('\n') };
  }
  const NO_KEY = /table public\.t has no primary key and no NOT NULL unique key \(a valid unique index, without WHERE or expressions, on columns that are all NOT NULL\)/;

  it('batches by the primary key, composite ones too, before any unique key', () => {
    const r = keyed('CREATE TABLE t (a int, b text, c int NOT NULL UNIQUE, v int, PRIMARY KEY (a, b));', 'UPDATE t SET v = 1;');
    expect(r.batched).toHaveLength(1);
    const b = r.batched[0]!.batch!;
    expect(b.keyColumns).toEqual(['a', 'b']);
    expect(b.updateSql).toBe('UPDATE t SET v = 1 WHERE (a, b) >= ($1, $2) AND (a, b) <= ($3, $4)');
    expect(b.firstKeySql).toBe('SELECT s.a::text, s.b::text FROM (SELECT) d LEFT JOIN (SELECT a, b FROM t ORDER BY a, b LIMIT 1) s ON true');
    expect(b.batchEndSql).toBe('SELECT s.a::text, s.b::text FROM (SELECT a, b FROM t WHERE (a, b) >= ($1, $2) ORDER BY a, b LIMIT 1000) s ORDER BY s.a DESC, s.b DESC LIMIT 1');
    expect(b.nextKeySql).toBe('SELECT s.a::text, s.b::text FROM (SELECT) d LEFT JOIN (SELECT a, b FROM t WHERE (a, b) > ($1, $2) ORDER BY a, b LIMIT 1) s ON true');
    expect(r.batched[0]!.guard).toEqual({ kind: 'none', reason: 'batched by primary key (a, b): one COMMIT per batch, row locks held for one batch at a time' });
  });

  it('keeps the one-column primary key plan as it was', () => {
    const r = keyed('CREATE TABLE t (id bigint PRIMARY KEY, v int);', 'UPDATE t SET v = 1 WHERE v IS NULL;');
    const step = r.batched[0]!;
    expect(step.batch).toEqual({
      table: 't',
      keyColumns: ['id'],
      updateSql: 'UPDATE t SET v = 1 WHERE id >= $1 AND id <= $2 AND (v IS NULL)',
      predicate: null,
      batchSize: 1000,
      firstKeySql: 'SELECT min(id)::text FROM t',
      batchEndSql: 'SELECT max(s.id)::text FROM (SELECT id FROM t WHERE id >= $1 ORDER BY id LIMIT 1000) s',
      nextKeySql: 'SELECT min(id)::text FROM t WHERE id > $1',
    });
    expect(step.guard).toEqual({ kind: 'none', reason: 'batched by primary key: one COMMIT per batch, row locks held for one batch at a time' });
    expect(step.notes.join(' ')).not.toMatch(/unique key/);
  });

  it('without a primary key, batches by a NOT NULL unique key (constraint or index), the fewest columns first', () => {
    const seed = [
      'CREATE TABLE t (a int NOT NULL, b int NOT NULL, c int NOT NULL, d text NOT NULL, v int);',
      'CREATE UNIQUE INDEX t_abc ON t (a, b, c);',
      'ALTER TABLE t ADD CONSTRAINT t_d_c_key UNIQUE (d, c);',
    ].join('\n');
    const r = keyed(seed, 'ALTER TABLE t ADD COLUMN w int DEFAULT random();');
    expect(r.plan.steps.map((s) => s.rewrite)).toContain('add-column');
    expect(r.batched[0]!.batch!.keyColumns).toEqual(['d', 'c']);
    expect(r.batched[0]!.guard).toMatchObject({ reason: expect.stringMatching(/^batched by unique key \(d, c\)/) });
    expect(r.notes).toMatch(/public\.t has no primary key: batches go by its NOT NULL unique key \(d, c\)/);
    // Columns made NOT NULL after the index count too.
    const later = keyed('CREATE TABLE t (a int, v int); CREATE UNIQUE INDEX t_a ON t (a); ALTER TABLE t ALTER COLUMN a SET NOT NULL;', 'UPDATE t SET v = 2;');
    expect(later.batched[0]!.batch!.keyColumns).toEqual(['a']);
  });

  it('does not batch by a unique index that is partial, on an expression, on a nullable column or invalid', () => {
    const cases: Array<[string, string]> = [
      ['partial', 'CREATE TABLE t (a int NOT NULL, v int); CREATE UNIQUE INDEX t_a ON t (a) WHERE a > 0;'],
      ['expression', 'CREATE TABLE t (a int NOT NULL, b text NOT NULL, v int); CREATE UNIQUE INDEX t_ab ON t (a, lower(b));'],
      ['nullable', 'CREATE TABLE t (a int NOT NULL, b int, v int, UNIQUE (a, b));'],
      ['not unique', 'CREATE TABLE t (a int NOT NULL, v int); CREATE INDEX t_a ON t (a);'],
      [
        'invalid (ON ONLY a partitioned table with partitions)',
        'CREATE TABLE t (a int NOT NULL, v int) PARTITION BY RANGE (a); CREATE TABLE t1 PARTITION OF t FOR VALUES FROM (0) TO (10); CREATE UNIQUE INDEX t_a ON ONLY t (a);',
      ],
    ];
    for (const [what, seed] of cases) {
      const r = keyed(seed, 'UPDATE t SET v = 1;');
      expect(r.batched, what).toEqual([]);
      expect(r.plan.steps[0]!.rewrite, what).toBe('guard');
      expect(r.notes, what).toMatch(NO_KEY);
    }
    // The same tables with a usable key do batch (the cases above fail only for the reason named).
    expect(keyed('CREATE TABLE t (a int NOT NULL, v int); CREATE UNIQUE INDEX t_a ON t (a);', 'UPDATE t SET v = 1;').batched).toHaveLength(1);
    expect(keyed('CREATE TABLE t (a int NOT NULL, b int NOT NULL, v int, UNIQUE (a, b));', 'UPDATE t SET v = 1;').batched[0]!.batch!.keyColumns).toEqual(['a', 'b']);
  });

  it('names what is missing for unknown and placeholder tables, and uses a key the linted files gave a placeholder', () => {
    // Not in the model at all (first statement), then a placeholder (the ADD COLUMN made it one).
    const r = planMigration([{ path: 'm.sql', text: 'ALTER TABLE ghosts ADD COLUMN w int DEFAULT random();\nUPDATE ghosts SET v = 1;' }], { pgVersion: 15 });
    expect(r.steps.map((s) => s.rewrite)).toEqual(['guard', 'guard']);
    for (const s of r.steps) expect(s.notes.join(' ')).toMatch(/table public\.ghosts is not defined by any source, so its keys are unknown: pass --db, --schema or --history/);
    const withPk = planMigration([{ path: 'm.sql', text: 'ALTER TABLE ghosts ADD PRIMARY KEY (id, day);\nUPDATE ghosts SET v = 1;' }], { pgVersion: 15 });
    expect(withPk.steps.find((s) => s.batch)?.batch?.keyColumns).toEqual(['id', 'day']);
  });

  it('refuses to batch an UPDATE that changes a key column', () => {
    const r = keyed('CREATE TABLE t (a int, b int, v int, PRIMARY KEY (a, b));', 'UPDATE t SET b = b + 1, v = 0;');
    expect(r.batched).toEqual([]);
    expect(r.notes).toMatch(/the UPDATE changes the key column b: batching by the key \(a, b\) would skip or repeat rows/);
  });

  it('quotes every key column and declares one %TYPE variable per column in the psql procedure', () => {
    const r = keyed('CREATE SCHEMA "My S"; CREATE TABLE "My S"."T t" ("Order" int, "select" text, v int, PRIMARY KEY ("Order", "select"));', 'UPDATE "My S"."T t" SET v = 1;', 18);
    const b = r.batched[0]!.batch!;
    expect(b.keyColumns).toEqual(['Order', 'select']);
    expect(b.updateSql).toBe('UPDATE "My S"."T t" SET v = 1 WHERE ("Order", "select") >= ($1, $2) AND ("Order", "select") <= ($3, $4)');
    const sql = renderSql(r.plan);
    expect(sql).toContain('  ddlg_lo1 "My S"."T t"."Order"%TYPE;\n  ddlg_lo2 "My S"."T t"."select"%TYPE;\n  ddlg_hi1 "My S"."T t"."Order"%TYPE;\n  ddlg_hi2 "My S"."T t"."select"%TYPE;');
    expect(sql).toMatch(/INTO ddlg_hi1, ddlg_hi2 USING ddlg_lo1, ddlg_lo2;/);
    expect(sql).toMatch(/USING ddlg_lo1, ddlg_lo2, ddlg_hi1, ddlg_hi2;/);
    expect(sql).toContain('-- batches of 1000 rows by Order, select;');
  });
});

describe('renderers', () => {
  let p: Plan;
  beforeAll(() => {
    p = plan(fixture('alter-column-type.sql'));
  });

  it('sql: psql script with ON_ERROR_STOP, timeouts per step and a procedure per backfill', () => {
    const sql = renderSql(p);
    expect(sql).toMatch(/^\\set ON_ERROR_STOP on$/m);
    expect(sql).toMatch(/CREATE OR REPLACE PROCEDURE pg_temp\.ddlg_backfill_\w+\(\)/);
    expect(sql).toMatch(/CALL pg_temp\.ddlg_backfill_/);
    expect(sql).toMatch(/SET lock_timeout = '2000ms';/);
  });

  it('markdown: phases, lock, risk, rollback and a unified diff', () => {
    const md = renderMarkdown(p, [{ path: 'alter-column-type.sql', text: fixture('alter-column-type.sql') }]);
    expect(md).toMatch(/^## Expand$/m);
    expect(md).toMatch(/^## Contract$/m);
    expect(md).toMatch(/duration risk: /);
    expect(md).toMatch(/\*\*irreversible\*\*/);
    expect(md).toMatch(/^--- original\.sql/m);
    expect(md).toMatch(/^\+ALTER TABLE events ADD COLUMN amount__ddlg_new bigint;$/m);
  });

  it('--phase filtering', () => {
    expect(filterPhase(p, 'contract').steps.every((s) => s.phase === 'contract')).toBe(true);
    expect(filterPhase(p, 'expand,migrate').steps.some((s) => s.phase === 'contract')).toBe(false);
    expect(() => filterPhase(p, 'later')).toThrow(/unknown phase/);
    expect(JSON.parse(renderJson(p))).toEqual(p);
  });
});

describe('runPlan (CLI)', () => {
  it('writes the plan to -o in the chosen format', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ddlg-plan-cli-'));
    const out = path.join(dir, 'plan.json');
    writeFileSync(path.join(dir, '1_seed.sql'), SEED);
    const code = await runPlan({
      paths: [path.join(FIXTURES, 'set-not-null.sql')],
      history: [path.join(dir, '1_seed.sql')],
      pgVersion: 18,
      format: 'json',
      output: out,
      phase: 'expand',
    });
    expect(code).toBe(0);
    const written = JSON.parse(readFileSync(out, 'utf8')) as Plan;
    expect(written.pgVersion).toBe(18);
    expect(written.steps.map((s) => s.rewrite)).toEqual(['set-not-null', 'set-not-null', 'set-not-null', 'set-not-null']);
  });

  it('prints SQL to stdout by default', async () => {
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await runPlan({ paths: [path.join(FIXTURES, 'create-index.sql')] })).toBe(0);
      expect(String(spy.mock.calls[0]?.[0])).toMatch(/CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx/);
    } finally {
      spy.mockRestore();
    }
  });
});
