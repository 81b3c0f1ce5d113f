/** Test helpers for the planner: execute a plan with `pg`, dump a database's catalog and data. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Plan, PlanStep } from '../../src/plan/model.js';
import { lockTimeoutMs, statementTimeoutMs } from '../../src/plan/render/sql.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/plan');

export function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

export function seedFor(rewrite: string): string {
  const extra = path.join(FIXTURES, `${rewrite}.seed.sql`);
  return fixture('base.seed.sql') + '\n' + (existsSync(extra) ? readFileSync(extra, 'utf8') : '');
}

export async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  return c;
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = await connect(url);
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function scalar(c: pg.Client, sql: string, params: unknown[] = []): Promise<unknown> {
  const r = await c.query({ text: sql, values: params, rowMode: 'array' });
  return r.rows[0]?.[0];
}

/** One row of k key texts, or null when the query gives no row or NULLs (done). */
async function keyRow(c: pg.Client, sql: string, params: unknown[], k: number): Promise<unknown[] | null> {
  const r = await c.query({ text: sql, values: params, rowMode: 'array' });
  if (r.rows.length > 1) throw new Error(`key query returned ${r.rows.length} rows: ${sql}`);
  const row = r.rows[0] as unknown[] | undefined;
  if (!row) return null;
  if (row.length !== k) throw new Error(`key query returned ${row.length} columns for a ${k}-column key: ${sql}`);
  if (row.every((v) => v === null)) return null;
  if (row.some((v) => v === null)) throw new Error(`key query returned a partly NULL key ${JSON.stringify(row)}: ${sql}`);
  return row;
}

/** Run a plan's steps as apply would: done checks, cleanup, timeouts, transactions, batches by key range. */
export async function executePlan(c: pg.Client, plan: Plan): Promise<{ batches: number; skipped: number }> {
  let batches = 0;
  let skipped = 0;
  for (const step of plan.steps) {
    const r = await executeStep(c, step);
    batches += r.batches;
    if (r.skipped) skipped++;
  }
  return { batches, skipped };
}

export async function executeStep(c: pg.Client, step: PlanStep): Promise<{ batches: number; skipped: boolean }> {
  if (step.doneCheck && (await scalar(c, step.doneCheck)) === true) return { batches: 0, skipped: true };
  if (step.cleanup && (await scalar(c, step.cleanup.when)) === true) await c.query(step.cleanup.sql);
  await c.query(`SET lock_timeout = '${lockTimeoutMs(step)}ms'; SET statement_timeout = '${statementTimeoutMs(step)}ms'`);
  let batches = 0;
  try {
    if (step.batch) {
      // k key columns: each key query returns one row of k texts; updateSql takes low then high key.
      const b = step.batch;
      const k = b.keyColumns.length;
      let lo = await keyRow(c, b.firstKeySql, [], k);
      while (lo !== null) {
        const hi = await keyRow(c, b.batchEndSql, lo, k);
        if (hi === null) throw new Error(`batchEndSql found no high key after ${JSON.stringify(lo)}`);
        await c.query(b.updateSql, [...lo, ...hi]); // autocommit: one transaction per batch
        batches++;
        lo = await keyRow(c, b.nextKeySql, hi, k);
      }
    } else if (step.transaction === 'none') {
      await c.query(step.sql);
    } else {
      await c.query('BEGIN');
      try {
        await c.query(step.sql);
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK');
        throw e;
      }
    }
  } catch (e) {
    throw new Error(`step ${step.id} failed: ${(e as Error).message}\n${step.sql}`);
  } finally {
    await c.query('RESET lock_timeout; RESET statement_timeout');
  }
  return { batches, skipped: false };
}

const USER_NS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

/** Catalog + data of every user schema, in a form independent of column order and OIDs. */
export async function dumpDatabase(c: pg.Client): Promise<Record<string, unknown>> {
  const q = async (sql: string) => (await c.query(sql)).rows;
  const relations = await q(`SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.relispartition AS partition
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${USER_NS} AND c.relkind IN ('r','p','v','m','i','I','S') ORDER BY 1, 2`);
  const columns = await q(`SELECT n.nspname AS schema, c.relname AS rel, a.attname AS column, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
        a.attnotnull AS not_null, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE ${USER_NS} AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','p','v','m') ORDER BY 1, 2, 3`);
  const constraints = await q(`SELECT n.nspname AS schema, c.conrelid::regclass::text AS rel, c.conname AS name, c.contype AS type,
        c.convalidated AS validated, pg_catalog.pg_get_constraintdef(c.oid) AS def
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE ${USER_NS} ORDER BY 1, 2, 3`);
  const indexes = await q(`SELECT n.nspname AS schema, ic.relname AS name, pg_catalog.pg_get_indexdef(i.indexrelid) AS def,
        i.indisvalid AS valid, i.indisunique AS unique, i.indisprimary AS primary
      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace WHERE ${USER_NS} ORDER BY 1, 2`);
  const triggers = await q(`SELECT t.tgrelid::regclass::text AS rel, t.tgname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${USER_NS} AND NOT t.tgisinternal ORDER BY 1, 2`);
  const functions = await q(`SELECT n.nspname AS schema, p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${USER_NS} ORDER BY 1, 2`);
  const inherits = await q(`SELECT inhrelid::regclass::text AS child, inhparent::regclass::text AS parent FROM pg_inherits ORDER BY 1`);
  const data: Record<string, unknown> = {};
  for (const r of relations) {
    if (r.kind !== 'r' && r.kind !== 'm') continue;
    const ident = `${quote(r.schema)}.${quote(r.name)}`;
    const rows = await q(`SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]') AS rows FROM ${ident} t`);
    data[`${r.schema}.${r.name}`] = rows[0]?.rows;
  }
  return { relations, columns, constraints, indexes, triggers, functions, inherits, data };
}

function quote(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

export function psqlPath(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v psql'], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : null;
}

/** Run a script with psql -v ON_ERROR_STOP=1; throws with psql's output on failure. */
export function runPsql(url: string, script: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ddlg-plan-'));
  const file = path.join(dir, 'plan.sql');
  writeFileSync(file, script);
  const r = spawnSync(psqlPath() ?? 'psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}
