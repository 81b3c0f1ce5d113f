/**
 * What a rewrite module sees: the schema model as it was before the statement,
 * the statement (re-parsed on its own, so node locations index its text), and
 * a step factory that fills in ids, source, locks (from the lock table) and
 * guards consistently.
 */
import type { StatementEffects } from '../locks/classify.js';
import { blocksApplication, strongest, type LockMode } from '../locks/modes.js';
import { lockFact } from '../locks/table.js';
import type { RelationModel, SchemaModel } from '../schema/model.js';
import type { ParsedStatement } from '../sql/statement.js';
import { quoteLiteral, quoteQualified } from '../sql/quote.js';
import type { QName } from '../sql/ast.js';
import type { BatchSpec, Phase, PlanStep, SmallTable, StepCleanup, StepGuard } from './model.js';
import type { StatementText } from '../sql/statement-text.js';
import type { Throughput } from '../locks/estimate.js';

export interface StepInit {
  /** Short label for the step id, e.g. `create-index-users_email_idx`. */
  label: string;
  phase: Phase;
  sql: string;
  /** Lock fact id the step's lock comes from (null: takes no table lock worth reporting). */
  fact: string | null;
  /** Display name of the relation the lock is on. */
  relation?: string;
  transaction?: 'own' | 'none';
  /** Default: a lock-timeout guard when the lock blocks reads or writes, else none. */
  guard?: StepGuard;
  doneCheck?: string | null;
  rollback?: string | null;
  irreversible?: boolean;
  batch?: BatchSpec;
  cleanup?: StepCleanup;
  notes?: string[];
}

export interface RewriteContext {
  model: SchemaModel;
  pgVersion: number;
  file: string;
  stmt: ParsedStatement;
  text: StatementText;
  /** The original statement's position in its file. */
  line: number;
  column: number;
  batchSize: number;
  lockTimeoutMs: number;
  retries: number;
  rewrite: string;
  /** Created by a file of this migration (not by history). */
  isNew(key: string): boolean;
  /** A table's rows and bytes when a source knows them (rows Infinity: never analyzed). */
  sizeOf(key: string): { rows: number; bytes: number } | null;
  /** Below both limits a table is small. */
  smallTable: SmallTable;
  /** Rates for duration estimates (default: the calibrated ones). */
  throughput?: Throughput;
  step(init: StepInit): PlanStep;
  /** Why a rewrite could not be applied; the fallback step carries these notes. */
  reason(message: string): void;
  reasons: string[];
}

export type Rewrite = (stmt: ParsedStatement, effects: StatementEffects, ctx: RewriteContext) => PlanStep[] | null;

export function lockGuard(ctx: RewriteContext): StepGuard {
  return { kind: 'lock-timeout', lockTimeoutMs: ctx.lockTimeoutMs, retries: ctx.retries };
}

export function makeStep(ctx: RewriteContext, seq: number, used: Set<string>, init: StepInit): PlanStep {
  let lock: PlanStep['lock'] = null;
  let risk: PlanStep['risk'] = 'instant';
  let transactional = true;
  if (init.fact) {
    const f = lockFact(init.fact, ctx.pgVersion);
    const mode = strongest(f.locks.map((l) => l.mode)) as LockMode | null;
    if (mode) lock = { mode, relation: init.relation ?? '' };
    transactional = f.transactional;
    const blocking = mode !== null && blocksApplication(mode);
    risk = f.rewrite && blocking ? 'blocking-rewrite' : f.scan && blocking ? 'blocking-scan' : f.scan || f.rewrite ? 'scan' : 'instant';
  }
  if (init.batch) risk = 'batched';
  const guard: StepGuard =
    init.guard ??
    (lock && blocksApplication(lock.mode)
      ? lockGuard(ctx)
      : { kind: 'none', reason: lock ? `takes ${lock.mode}: reads and writes continue` : 'takes no lock that blocks reads or writes' });
  let id = `${String(seq).padStart(4, '0')}-${slug(init.label)}`;
  if (used.has(id)) {
    let i = 2;
    while (used.has(`${id}-${i}`)) i++;
    id = `${id}-${i}`;
  }
  used.add(id);
  const step: PlanStep = {
    id,
    phase: init.phase,
    sql: init.sql,
    transaction: init.transaction ?? (transactional ? 'own' : 'none'),
    lock,
    guard,
    doneCheck: init.doneCheck ?? null,
    rollback: init.rollback ?? null,
    irreversible: init.irreversible ?? false,
    fact: init.fact,
    risk,
    rewrite: ctx.rewrite,
    source: { file: ctx.file, line: ctx.line, column: ctx.column, statement: ctx.stmt.text },
    notes: [...(init.notes ?? [])],
  };
  if (init.batch) step.batch = init.batch;
  if (init.cleanup) step.cleanup = init.cleanup;
  const rel = init.relation && !ctx.isNew(init.relation) ? ctx.model.relations.get(init.relation) : undefined;
  if (rel) step.table = { schema: rel.schema, name: rel.name };
  return step;
}

function slug(s: string): string {
  return (
    s
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9_.-]+/g, '_')
      .replace(/_+/g, '_')
      .replace(/^_|_$/g, '')
      .slice(0, 80) || 'step'
  );
}

// ---- names -----------------------------------------------------------------

/** A relation as the user named it: qualified only when they qualified it. */
export interface RelName {
  schema: string | null;
  name: string;
  /** Model key, e.g. public.users. */
  key: string;
}

export function relName(ctx: RewriteContext, q: QName): RelName {
  return { schema: q.schema, name: q.name, key: ctx.model.resolveKey(q) };
}

export function qrel(r: { schema: string | null; name: string }): string {
  return quoteQualified(r.schema ?? undefined, r.name);
}

/** A regclass literal resolving the same way the statement's name does. */
export function regclass(r: { schema: string | null; name: string }): string {
  return `to_regclass(${quoteLiteral(qrel(r))})`;
}

export function relationModel(ctx: RewriteContext, r: RelName): RelationModel | undefined {
  return ctx.model.relations.get(r.key);
}

// ---- done checks -----------------------------------------------------------

export function indexValidCheck(index: { schema: string | null; name: string }): string {
  return `SELECT COALESCE((SELECT i.indisvalid AND i.indisready FROM pg_catalog.pg_index i WHERE i.indexrelid = ${regclass(index)}), false)`;
}

export function indexAbsentCheck(index: { schema: string | null; name: string }): string {
  return `SELECT ${regclass(index)} IS NULL`;
}

/** SQL that finds a left-over invalid index (a failed CREATE INDEX CONCURRENTLY). */
export function invalidIndexCheck(index: { schema: string | null; name: string }): string {
  return `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indexrelid = ${regclass(index)} AND NOT i.indisvalid)`;
}

/** Cleanup for a failed CONCURRENTLY build, for apply and the SQL renderer. */
export function invalidIndexCleanup(index: { schema: string | null; name: string }): StepCleanup {
  return { when: invalidIndexCheck(index), sql: `DROP INDEX CONCURRENTLY IF EXISTS ${qrel(index)}`, transaction: 'none' };
}

export function constraintCheck(table: RelName, name: string, validated: boolean): string {
  const v = validated ? ' AND c.convalidated' : '';
  return `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conrelid = ${regclass(table)} AND c.conname = ${quoteLiteral(name)}${v})`;
}

export function constraintAbsentCheck(table: RelName, name: string): string {
  return `SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conrelid = ${regclass(table)} AND c.conname = ${quoteLiteral(name)})`;
}

export function columnCheck(table: RelName, column: string, extra: { notNull?: boolean; type?: string; absent?: boolean } = {}): string {
  if (extra.absent) {
    return `SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = ${regclass(table)} AND a.attname = ${quoteLiteral(column)} AND NOT a.attisdropped)`;
  }
  const conds = [`a.attrelid = ${regclass(table)}`, `a.attname = ${quoteLiteral(column)}`, 'NOT a.attisdropped'];
  if (extra.notNull) conds.push('a.attnotnull');
  if (extra.type) conds.push(`a.atttypid = ${quoteLiteral(extra.type)}::regtype`);
  return `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE ${conds.join(' AND ')})`;
}

/** PG 18+: a validated NOT NULL constraint exists on the column (attnotnull is already true while it is NOT VALID). */
export function validatedNotNullCheck(table: RelName, column: string): string {
  return `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] WHERE c.conrelid = ${regclass(table)} AND c.contype = 'n' AND c.convalidated AND a.attname = ${quoteLiteral(column)})`;
}

/**
 * A boolean computed by a query that is only parsed when it runs (via
 * query_to_xml), so a check can mention columns that a later step drops:
 * `SELECT CASE WHEN <guard> THEN true ELSE <dynamic> END`.
 */
export function dynamicCheck(guard: string, query: string): string {
  const dyn = `(pg_catalog.xpath('/row/v/text()', pg_catalog.query_to_xml(${quoteLiteral(`SELECT (${query}) AS v`)}, false, true, '')))[1]::text::boolean`;
  return `SELECT CASE WHEN (${guard}) THEN true ELSE ${dyn} END`;
}

export function triggerAbsentCheck(table: RelName, trigger: string): string {
  return `SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = ${regclass(table)} AND t.tgname = ${quoteLiteral(trigger)})`;
}
