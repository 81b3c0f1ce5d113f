/** Building blocks shared by several rewrites: NOT NULL without a long lock, batched backfills, single-command ALTER TABLE. */
import { qnameFromRangeVar } from '../../sql/ast.js';
import { derivedName, quoteIdent, quoteLiteral } from '../../sql/quote.js';
import type { BatchSpec, Phase, PlanStep, StepGuard } from '../model.js';
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
        rollback: unvalidateSql(table, name),
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
      rollback: unvalidateSql(table, check),
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

/**
 * The key to batch a table by: its primary key, or else a NOT NULL unique key (a valid,
 * non-partial btree unique index on plain columns that are all NOT NULL in the model; the
 * fewest columns win, then the index name). Null, with the reason recorded, when the model
 * does not know the table's keys or the table has no such key.
 *
 * A placeholder (a table no source defined) has only the keys the linted files gave it:
 * one of those is used; otherwise its keys are unknown.
 */
export function batchKey(ctx: RewriteContext, table: RelName): string[] | null {
  const rel = ctx.model.relations.get(table.key);
  const unknown = `table ${table.key} is not defined by any source, so its keys are unknown: pass --db, --schema or --history`;
  if (!rel) {
    ctx.reason(`${unknown} (cannot batch by key)`);
    return null;
  }
  const pk = ctx.model.primaryKey(rel);
  if (pk && pk.length > 0) return [...pk];
  const candidates: Array<{ name: string; columns: string[] }> = [];
  for (const k of rel.indexes) {
    const ix = ctx.model.indexes.get(k);
    if (!ix || !ix.unique || !ix.valid || ix.partial || ix.expressions > 0 || ix.method !== 'btree' || ix.columns.length === 0) continue;
    if (new Set(ix.columns).size !== ix.columns.length) continue;
    if (!ix.columns.every((c) => ctx.model.columnNotNull(rel, c) === true)) continue;
    candidates.push({ name: ix.name, columns: ix.columns });
  }
  candidates.sort((a, b) => a.columns.length - b.columns.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (candidates[0]) return [...candidates[0].columns];
  if (rel.placeholder) {
    ctx.reason(`${unknown} (cannot batch by key)`);
    return null;
  }
  ctx.reason(
    `table ${table.key} has no primary key and no NOT NULL unique key (a valid unique index, without WHERE or expressions, on columns that are all NOT NULL) in the schema model: cannot batch by key; add a primary key, or a unique index on NOT NULL columns, in an earlier migration`,
  );
  return null;
}

/**
 * How a batched step is guarded, and a note when it goes by a unique key rather than the
 * primary key. A single-column primary key keeps the wording plans have always had.
 */
export function batchGuard(ctx: RewriteContext, table: RelName, keys: string[]): { guard: StepGuard; notes: string[] } {
  const rel = ctx.model.relations.get(table.key);
  const pk = rel ? ctx.model.primaryKey(rel) : null;
  const byPk = pk !== null && pk.length === keys.length && pk.every((c, i) => c === keys[i]);
  const how = byPk ? (keys.length === 1 ? 'primary key' : `primary key (${keys.join(', ')})`) : `unique key (${keys.join(', ')})`;
  return {
    guard: { kind: 'none', reason: `batched by ${how}: one COMMIT per batch, row locks held for one batch at a time` },
    notes: byPk ? [] : [`${table.key} has no primary key: batches go by its NOT NULL unique key (${keys.join(', ')})`],
  };
}

/** `(a, b)` or `a`: key columns as one SQL operand (a row for several columns). */
function keyTuple(cols: string[]): string {
  return cols.length === 1 ? cols[0]! : `(${cols.join(', ')})`;
}

/** `($1, $2)` or `$1`: bind parameters `$from..$from+k-1` as one operand. */
function paramTuple(k: number, from: number): string {
  const ps = Array.from({ length: k }, (_, i) => `$${from + i}`);
  return k === 1 ? ps[0]! : `(${ps.join(', ')})`;
}

/**
 * A keyset-batched statement over key columns `keys` (see BatchSpec for the parameter
 * convention). `head` is the statement without its key range; the range and `where` (the
 * existing condition, or null) become its WHERE. Several key columns are compared as a row,
 * `(a, b) >= ($1, $2)`, which a btree index on (a, b) serves; one key column gives exactly
 * the plans of a single-column key (`k >= $1 AND k <= $2`).
 */
export function batchSpec(ctx: RewriteContext, table: RelName, keys: string[], head: string, where: string | null, predicate: string | null): BatchSpec {
  if (keys.length === 0) throw new Error('batchSpec: no key columns');
  const t = qrel(table);
  const n = keys.length;
  const cols = keys.map(quoteIdent);
  const k = keyTuple(cols);
  const range = `${k} >= ${paramTuple(n, 1)} AND ${k} <= ${paramTuple(n, n + 1)}`;
  const cond = where ? `${range} AND (${where})` : range;
  const common = { table: t, keyColumns: [...keys], updateSql: `${head} WHERE ${cond}`, predicate, batchSize: ctx.batchSize };
  if (n === 1) {
    const c = cols[0]!;
    return {
      ...common,
      firstKeySql: `SELECT min(${c})::text FROM ${t}`,
      batchEndSql: `SELECT max(s.${c})::text FROM (SELECT ${c} FROM ${t} WHERE ${c} >= $1 ORDER BY ${c} LIMIT ${ctx.batchSize}) s`,
      nextKeySql: `SELECT min(${c})::text FROM ${t} WHERE ${c} > $1`,
    };
  }
  const list = cols.join(', ');
  const asText = cols.map((c) => `s.${c}::text`).join(', ');
  const asc = cols.join(', ');
  const desc = cols.map((c) => `s.${c} DESC`).join(', ');
  // One row always: the key as text, or NULLs when no row qualifies (key columns are NOT NULL).
  const firstAfter = (cond: string) => `SELECT ${asText} FROM (SELECT) d LEFT JOIN (SELECT ${list} FROM ${t}${cond} ORDER BY ${asc} LIMIT 1) s ON true`;
  return {
    ...common,
    firstKeySql: firstAfter(''),
    batchEndSql: `SELECT ${asText} FROM (SELECT ${list} FROM ${t} WHERE ${k} >= ${paramTuple(n, 1)} ORDER BY ${asc} LIMIT ${ctx.batchSize}) s ORDER BY ${desc} LIMIT 1`,
    nextKeySql: firstAfter(` WHERE ${k} > ${paramTuple(n, 1)}`),
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

/**
 * Undoes a VALIDATE CONSTRAINT: the constraint is dropped and added again NOT VALID, from its
 * definition as the catalog holds it (`pg_get_constraintdef`), in one short transaction and
 * without a scan. Does nothing when the constraint is missing or already NOT VALID, so it can run again.
 */
export function unvalidateSql(table: RelName, name: string): string {
  const t = regclass(table);
  const n = quoteLiteral(name);
  return [
    'DO $ddlg$',
    'DECLARE ddlg_def text;',
    'BEGIN',
    '  SELECT pg_catalog.pg_get_constraintdef(c.oid) INTO ddlg_def FROM pg_catalog.pg_constraint c',
    `   WHERE c.conrelid = ${t} AND c.conname = ${n} AND c.convalidated;`,
    '  IF ddlg_def IS NOT NULL THEN',
    `    EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', ${t}, ${n});`,
    `    EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s NOT VALID', ${t}, ${n}, ddlg_def);`,
    '  END IF;',
    'END',
    '$ddlg$',
  ].join('\n');
}

/**
 * Undoes a DETACH PARTITION: attaches the partition again with its bound (no scan: the CHECK
 * that DETACH ... CONCURRENTLY left proves it), then drops that CHECK (a CHECK whose
 * definition is the partition constraint, other than the ones the partition had before).
 */
export function reattachSql(parent: { schema: string | null; name: string }, part: { schema: string | null; name: string }, bound: string, checksBefore: string[]): string {
  const p = regclass(part);
  const keep = checksBefore.length ? `ARRAY[${checksBefore.map(quoteLiteral).join(', ')}]::text[]` : 'ARRAY[]::text[]';
  return [
    `ALTER TABLE ${qrel(parent)} ATTACH PARTITION ${qrel(part)} ${bound};`,
    'DO $ddlg$',
    'DECLARE ddlg_con text;',
    'BEGIN',
    '  FOR ddlg_con IN SELECT c.conname FROM pg_catalog.pg_constraint c',
    `     WHERE c.conrelid = ${p} AND c.contype = 'c' AND c.conname <> ALL (${keep})`,
    "       AND pg_catalog.pg_get_constraintdef(c.oid) = 'CHECK (' || pg_catalog.pg_get_partition_constraintdef(c.conrelid) || ')'",
    '  LOOP',
    `    EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', ${p}, ddlg_con);`,
    '  END LOOP;',
    'END',
    '$ddlg$',
  ].join('\n');
}

export { lockGuard };
