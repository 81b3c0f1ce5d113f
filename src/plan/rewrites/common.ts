/** Building blocks shared by several rewrites: NOT NULL without a long lock, batched backfills, single-command ALTER TABLE. */
import { qnameFromRangeVar } from '../../sql/ast.js';
import { derivedName, quoteIdent, quoteLiteral } from '../../sql/quote.js';
import type { BatchSpec, Phase, PlanStep } from '../model.js';
import {
  columnCheck,
  constraintAbsentCheck,
  constraintCheck,
  qrel,
  regclass,
  relName,
  validatedNotNullCheck,
  lockGuard,
  indexValidCheck,
  invalidIndexCleanup,
  type RelName,
  type RewriteContext,
} from '../context.js';

/** CONCURRENTLY steps run unguarded: reads and writes continue while they work. */
export const CONCURRENT_GUARD = { kind: 'none', reason: 'CONCURRENTLY: reads and writes continue; runs with statement_timeout 0 and a short lock_timeout' } as const;

/**
 * A `CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS` step: outside a transaction, done when
 * the index exists and is valid, an INVALID leftover dropped before a retry.
 */
export function concurrentIndexStep(ctx: RewriteContext, o: { name: string; sql: string; table: RelName; index: Parameters<typeof indexValidCheck>[0]; notes: string[] }): PlanStep {
  return ctx.step({
    label: `create-index-${o.name}`,
    phase: 'expand',
    sql: o.sql,
    fact: 'create-index-concurrently',
    relation: o.table.key,
    transaction: 'none',
    guard: CONCURRENT_GUARD,
    doneCheck: indexValidCheck(o.index),
    cleanup: invalidIndexCleanup(o.index),
    rollback: `DROP INDEX CONCURRENTLY IF EXISTS ${qrel(o.index)}`,
    notes: o.notes,
  });
}

/** The single AlterTableCmd of an `ALTER TABLE` statement (the planner splits multi-command ones). */
export function singleAlterCmd(stmt: { kind: string; node: any }): any | null {
  if (stmt.kind !== 'AlterTableStmt' || stmt.node.objtype === 'OBJECT_INDEX') return null;
  const cmds = stmt.node.cmds ?? [];
  if (cmds.length !== 1) return null;
  return cmds[0]?.AlterTableCmd ?? null;
}

export function alterTarget(ctx: RewriteContext): RelName {
  return relName(ctx, qnameFromRangeVar(ctx.stmt.node.relation));
}

/** `SELECT (a) AND (b)` over boolean check queries. */
export function allOf(...checks: string[]): string {
  return 'SELECT ' + checks.map((c) => `(${c})`).join(' AND ');
}

export function anyOf(...checks: string[]): string {
  return 'SELECT ' + checks.map((c) => `(${c})`).join(' OR ');
}

/**
 * NOT NULL on an existing column without scanning under ACCESS EXCLUSIVE.
 * PG 12-17: CHECK (col IS NOT NULL) NOT VALID, VALIDATE, SET NOT NULL (proven: no scan), drop the CHECK.
 * PG 18+: a named NOT NULL constraint NOT VALID, then VALIDATE.
 */
export function notNullSteps(ctx: RewriteContext, table: RelName, column: string, phase: Phase, label = column, alsoDone: string | null = null): PlanStep[] {
  const done = (check: string) => (alsoDone ? anyOf(alsoDone, check) : check);
  const t = qrel(table);
  const c = quoteIdent(column);
  const isNotNull = columnCheck(table, column, { notNull: true });
  if (ctx.pgVersion >= 18) {
    const name = derivedName(`${table.name}_${column}`, '_not_null');
    const validated = validatedNotNullCheck(table, column);
    return [
      ctx.step({
        label: `not-null-${label}-add-not-valid`,
        phase,
        sql: `ALTER TABLE ${t} ADD CONSTRAINT ${quoteIdent(name)} NOT NULL ${c} NOT VALID`,
        fact: 'add-not-null-constraint-not-valid',
        relation: table.key,
        doneCheck: done(anyOf(validated, constraintCheck(table, name, false))),
        rollback: `ALTER TABLE ${t} DROP CONSTRAINT IF EXISTS ${quoteIdent(name)}`,
        notes: ['new and updated rows are checked from now on; existing rows are validated in the next step'],
      }),
      ctx.step({
        label: `not-null-${label}-validate`,
        phase,
        sql: `ALTER TABLE ${t} VALIDATE CONSTRAINT ${quoteIdent(name)}`,
        fact: 'validate-constraint',
        relation: table.key,
        guard: { kind: 'none', reason: 'VALIDATE scans under SHARE UPDATE EXCLUSIVE: reads and writes continue (statement_timeout 0)' },
        doneCheck: done(validated),
        rollback: `ALTER TABLE ${t} ALTER COLUMN ${c} DROP NOT NULL`,
      }),
    ];
  }
  const check = derivedName(`${table.name}_${column}`, '_nn_ddlg');
  const ck = quoteIdent(check);
  const steps = [
    ctx.step({
      label: `not-null-${label}-check-not-valid`,
      phase,
      sql: `ALTER TABLE ${t} ADD CONSTRAINT ${ck} CHECK (${c} IS NOT NULL) NOT VALID`,
      fact: 'add-check-not-valid',
      relation: table.key,
      doneCheck: done(anyOf(isNotNull, constraintCheck(table, check, false))),
      rollback: `ALTER TABLE ${t} DROP CONSTRAINT IF EXISTS ${ck}`,
    }),
    ctx.step({
      label: `not-null-${label}-validate`,
      phase,
      sql: `ALTER TABLE ${t} VALIDATE CONSTRAINT ${ck}`,
      fact: 'validate-constraint',
      relation: table.key,
      guard: { kind: 'none', reason: 'VALIDATE scans under SHARE UPDATE EXCLUSIVE: reads and writes continue (statement_timeout 0)' },
      doneCheck: done(anyOf(isNotNull, constraintCheck(table, check, true))),
    }),
    ctx.step({
      label: `not-null-${label}-set`,
      phase,
      sql: `ALTER TABLE ${t} ALTER COLUMN ${c} SET NOT NULL`,
      fact: 'set-not-null-proven',
      relation: table.key,
      doneCheck: done(isNotNull),
      rollback: `ALTER TABLE ${t} ALTER COLUMN ${c} DROP NOT NULL`,
      notes: ['the validated CHECK proves no NULLs, so PostgreSQL 12+ skips the scan'],
    }),
    ctx.step({
      label: `not-null-${label}-drop-check`,
      phase,
      sql: `ALTER TABLE ${t} DROP CONSTRAINT IF EXISTS ${ck}`,
      fact: 'drop-constraint',
      relation: table.key,
      doneCheck: done(constraintAbsentCheck(table, check)),
    }),
  ];
  return steps;
}

/** The single primary-key column to batch by, or null (with a reason recorded). */
export function batchKey(ctx: RewriteContext, table: RelName): string | null {
  const rel = ctx.model.relations.get(table.key);
  if (!rel) {
    ctx.reason(`table ${table.key} is not known from the migration history, so its primary key is unknown: cannot batch (pass --history)`);
    return null;
  }
  const pk = ctx.model.primaryKey(rel);
  if (!pk || pk.length === 0) {
    ctx.reason(`table ${table.key} has no primary key in the schema model: cannot batch by key`);
    return null;
  }
  if (pk.length > 1) {
    ctx.reason(`table ${table.key} has a composite primary key (${pk.join(', ')}): keyset batching over composite keys is not supported yet`);
    return null;
  }
  return pk[0]!;
}

/**
 * A keyset-batched statement. `body` is the statement without its key range; it
 * must end where `AND <range>` can be appended to its WHERE (pass `where` = the
 * existing condition or null).
 */
export function batchSpec(ctx: RewriteContext, table: RelName, key: string, head: string, where: string | null, predicate: string | null): BatchSpec {
  const t = qrel(table);
  const k = quoteIdent(key);
  const range = `${k} >= $1 AND ${k} <= $2`;
  const cond = where ? `${range} AND (${where})` : range;
  return {
    table: t,
    keyColumns: [key],
    updateSql: `${head} WHERE ${cond}`,
    predicate,
    batchSize: ctx.batchSize,
    firstKeySql: `SELECT min(${k})::text FROM ${t}`,
    batchEndSql: `SELECT max(s.${k})::text FROM (SELECT ${k} FROM ${t} WHERE ${k} >= $1 ORDER BY ${k} LIMIT ${ctx.batchSize}) s`,
    nextKeySql: `SELECT min(${k})::text FROM ${t} WHERE ${k} > $1`,
  };
}

export function remainingCheck(table: RelName, predicate: string): string {
  return `SELECT NOT EXISTS (SELECT 1 FROM ${qrel(table)} WHERE ${predicate})`;
}

/** A DO block that copies column `from`'s DEFAULT (as the catalog holds it) to column `to`. */
export function copyDefaultSql(table: RelName, from: string, to: string): string {
  return [
    'DO $ddlg$',
    'DECLARE ddlg_default text;',
    'BEGIN',
    '  SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) INTO ddlg_default',
    '    FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum',
    `   WHERE d.adrelid = ${regclass(table)} AND a.attname = ${quoteLiteral(from)};`,
    '  IF ddlg_default IS NOT NULL THEN',
    `    EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', ${regclass(table)}, ${quoteLiteral(to)}, ddlg_default);`,
    '  END IF;',
    'END',
    '$ddlg$',
  ].join('\n');
}

export { lockGuard };
