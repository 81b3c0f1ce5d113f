/**
 * The planner: replay history into the schema model, then turn each statement of
 * the migration into plan steps, picking the first rewrite module that applies
 * and falling back to keeping the statement under a lock guard. Pure: source
 * texts in, a plan out. Call `await loadParser()` first.
 */
import { createHash } from 'node:crypto';
import { classifyStatement, type StatementEffects } from '../locks/classify.js';
import { SchemaModel, type Origin } from '../schema/model.js';
import { replayStatement } from '../schema/replay.js';
import { mergeModels, type SourceNote } from '../schema/sources/merge.js';
import type { Throughput } from '../locks/estimate.js';
import { parseSqlFile } from '../sql/parse.js';
import type { ParsedStatement } from '../sql/statement.js';
import { makeStep, type Rewrite, type RewriteContext } from './context.js';
import { DEFAULT_SMALL_TABLE, PLAN_VERSION, phaseRank, type Plan, type PlanNote, type PlanStep, type SmallTable } from './model.js';
import { StatementText, parseOne } from '../sql/statement-text.js';
import { addColumn } from './rewrites/add-column.js';
import { alterColumnType } from './rewrites/alter-column-type.js';
import { batchDml } from './rewrites/batch-dml.js';
import { constraintNotValid } from './rewrites/constraint-not-valid.js';
import { createIndex } from './rewrites/create-index.js';
import { detachPartition } from './rewrites/detach-partition.js';
import { dropIndex } from './rewrites/drop-index.js';
import { keepStatement } from './rewrites/guard.js';
import { refreshMatview } from './rewrites/refresh-matview.js';
import { reindex } from './rewrites/reindex.js';
import { renameColumn } from './rewrites/rename-column.js';
import { renameTable } from './rewrites/rename-table.js';
import { setNotNull } from './rewrites/set-not-null.js';
import { uniqueUsingIndex } from './rewrites/unique-using-index.js';

export interface PlanFile {
  path: string;
  text: string;
}

export interface TableSize {
  rows: number;
  bytes: number;
}

export interface PlanOptions {
  pgVersion: number;
  /**
   * The schema from the target database, a snapshot or a dump (src/schema/sources): keys,
   * column types, indexes and sizes. The history files are merged under it (it wins).
   */
  model?: SchemaModel;
  /** How notes name `model`'s source (default `the schema source`). */
  modelLabel?: string;
  /** Notes from loading the schema sources, kept on the plan. */
  sourceNotes?: readonly SourceNote[];
  /** Files already applied: they only build the schema model. */
  history?: PlanFile[];
  /** Sizes by model key (`schema.table`), for tables `model` does not size. */
  tableSizes?: Map<string, TableSize>;
  /** Tables below both limits keep the simple form under a guard (default 10,000 rows and 64 MiB). */
  smallTable?: Partial<SmallTable>;
  /** Same as smallTable.rows (kept for older callers). */
  smallTableRows?: number;
  /** Rows per backfill batch (default 1000). */
  batchSize?: number;
  /** lock_timeout of guarded steps (default 2000 ms). */
  lockTimeoutMs?: number;
  /** Retries of a guarded step after lock_timeout (default 5). */
  retries?: number;
  /** Rates for the duration estimates of blocking steps (config `estimates`). */
  throughput?: Throughput;
}

/** The rewrites, in the order they are tried. */
export const REWRITES: ReadonlyArray<readonly [string, Rewrite]> = [
  ['create-index', createIndex],
  ['drop-index', dropIndex],
  ['reindex', reindex],
  ['refresh-matview', refreshMatview],
  ['detach-partition', detachPartition],
  ['constraint-not-valid', constraintNotValid],
  ['unique-using-index', uniqueUsingIndex],
  ['set-not-null', setNotNull],
  ['add-column', addColumn],
  ['alter-column-type', alterColumnType],
  ['rename-column', renameColumn],
  ['rename-table', renameTable],
  ['batch-dml', batchDml],
];

export class PlanError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${file}:${line}:${column}: ${message}`);
  }
}

const TIMEOUT_SETTINGS = new Set(['lock_timeout', 'statement_timeout', 'idle_in_transaction_session_timeout']);

export function planMigration(files: PlanFile[], opts: PlanOptions): Plan {
  let model = new SchemaModel();
  let fileIndex = 0;
  for (const h of opts.history ?? []) {
    const parsed = parseSqlFile(h.path, h.text);
    if (parsed.error) throw new PlanError(`history file does not parse: ${parsed.error.message}`, h.path, parsed.error.line, parsed.error.column);
    for (const s of parsed.statements) replayStatement(model, s, { fileIndex, file: h.path, statement: s.index, txSerial: 0 });
    fileIndex++;
  }
  const sourceNotes: SourceNote[] = [...(opts.sourceNotes ?? [])];
  if (opts.model) model = mergeModels([{ model: opts.model, label: opts.modelLabel ?? 'the schema source' }, { model, label: 'the history files' }], sourceNotes);
  const firstPlanFile = fileIndex;
  const isNew = (key: string) => {
    const o = model.relations.get(key)?.origin;
    return o != null && o.fileIndex >= firstPlanFile;
  };
  const steps: PlanStep[] = [];
  const notes: PlanNote[] = sourceNotes.map((n) => ({ file: '', line: 0, message: n.message }));
  const used = new Set<string>();
  let seq = 0;
  const small: SmallTable = {
    rows: opts.smallTable?.rows ?? opts.smallTableRows ?? DEFAULT_SMALL_TABLE.rows,
    bytes: opts.smallTable?.bytes ?? DEFAULT_SMALL_TABLE.bytes,
  };
  const sizeOf = (key: string): TableSize | null => {
    const s = model.relations.get(key)?.size;
    if (s) return { rows: s.rows ?? Number.POSITIVE_INFINITY, bytes: s.totalBytes };
    return opts.tableSizes?.get(key) ?? null;
  };

  for (const f of files) {
    const parsed = parseSqlFile(f.path, f.text);
    if (parsed.error) throw new PlanError(parsed.error.message, f.path, parsed.error.line, parsed.error.column);
    for (const stmt of parsed.statements) {
      if (stmt.inDoBlock !== null) continue;
      seq++;
      const origin: Origin = { fileIndex, file: f.path, statement: stmt.index, txSerial: seq };
      const line = stmt.span.start.line;
      if (stmt.kind === 'TransactionStmt') {
        notes.push({ file: f.path, line, message: `${stmt.text}: dropped; the plan gives each step its own transaction (or none, for CONCURRENTLY)` });
        continue;
      }
      if (stmt.kind === 'VariableSetStmt' && TIMEOUT_SETTINGS.has(String(stmt.node.name ?? ''))) {
        notes.push({ file: f.path, line, message: `${stmt.text}: dropped; every step sets its own lock_timeout and statement_timeout` });
        continue;
      }
      const inner = parsed.statements.filter((s) => s.inDoBlock === stmt.index);
      for (const part of splitStatement(stmt)) {
        const effects = classifyStatement(part, { model, pgVersion: opts.pgVersion, fileIndex });
        if (inner.length) {
          for (const s of inner) {
            const e = classifyStatement(s, { model, pgVersion: opts.pgVersion, fileIndex });
            effects.effects.push(...e.effects);
            effects.locks.push(...e.locks);
            effects.transactional &&= e.transactional;
          }
        }
        const ctx = context(part, f.path, stmt, model, opts, isNew, seq, used, sizeOf, small);
        steps.push(...planStatement(part, effects, ctx));
        replayStatement(model, part, origin);
      }
      for (const s of inner) replayStatement(model, s, origin);
    }
    fileIndex++;
  }

  // Phases never go backwards: a step keeps its place after every step it followed in the source.
  let rank = 0;
  for (const s of steps) {
    rank = Math.max(rank, phaseRank(s.phase));
    s.phase = (['expand', 'migrate', 'contract'] as const)[rank]!;
  }
  const hash = createHash('sha256');
  for (const f of files) hash.update(f.path).update('\0').update(f.text).update('\0');
  const sourceHash = hash.digest('hex');
  const schemaSources: string[] = [];
  if (opts.model) schemaSources.push(opts.modelLabel ?? 'the schema source');
  if (opts.history?.length) schemaSources.push(`${opts.history.length} history file${opts.history.length === 1 ? '' : 's'}`);
  return {
    version: PLAN_VERSION,
    id: `plan-${sourceHash.slice(0, 12)}-pg${opts.pgVersion}`,
    sourceHash,
    pgVersion: opts.pgVersion,
    smallTable: small,
    ...(schemaSources.length ? { schemaSources } : {}),
    steps,
    notes,
  };
}

function planStatement(stmt: ParsedStatement, effects: StatementEffects, ctx: RewriteContext): PlanStep[] {
  const pre = effects.locks.filter((l) => !ctx.isNew(l.relation.key));
  if (effects.locks.length > 0 && pre.length === 0) return keepStatement(effects, ctx, 'simple');
  if (pre.length > 0) {
    const sizes = pre.map((l) => ctx.sizeOf(l.relation.key));
    if (sizes.every((s) => s !== null && isSmall(s, ctx.smallTable))) {
      ctx.rewrite = 'small-table';
      const rows = Math.max(...sizes.map((s) => s!.rows));
      return keepStatement(effects, ctx, 'guard', [`small table (${rows} rows < ${ctx.smallTable.rows}, and under ${Math.round(ctx.smallTable.bytes / 1048576)} MiB): the simple form is kept, under a lock guard`]);
    }
  }
  for (const [name, rewrite] of REWRITES) {
    ctx.rewrite = name;
    const out = rewrite(stmt, effects, ctx);
    if (out) return out;
  }
  ctx.rewrite = 'guard';
  return keepStatement(effects, ctx, 'guard');
}

export function isSmall(size: TableSize, small: SmallTable): boolean {
  return size.rows < small.rows && size.bytes < small.bytes;
}

function context(
  part: ParsedStatement,
  file: string,
  original: ParsedStatement,
  model: SchemaModel,
  opts: PlanOptions,
  isNew: (key: string) => boolean,
  seq: number,
  used: Set<string>,
  sizeOf: (key: string) => TableSize | null,
  smallTable: SmallTable,
): RewriteContext {
  const reasons: string[] = [];
  const ctx: RewriteContext = {
    model,
    pgVersion: opts.pgVersion,
    file,
    stmt: part,
    text: new StatementText(part.text),
    line: original.span.start.line,
    column: original.span.start.column,
    batchSize: opts.batchSize ?? 1000,
    lockTimeoutMs: opts.lockTimeoutMs ?? 2000,
    retries: opts.retries ?? 5,
    rewrite: 'guard',
    isNew,
    sizeOf,
    smallTable,
    ...(opts.throughput ? { throughput: opts.throughput } : {}),
    step: (init) => makeStep(ctx, seq, used, init),
    reason: (m) => {
      if (!reasons.includes(m)) reasons.push(m);
    },
    reasons,
  };
  return ctx;
}

/**
 * Re-parse the statement on its own (node locations then index its text) and
 * split a multi-command ALTER TABLE into one statement per command, so each
 * command gets its own rewrite.
 */
export function splitStatement(stmt: ParsedStatement): ParsedStatement[] {
  const one = parseOne(stmt.text);
  if (!one) return [stmt];
  const base: ParsedStatement = { ...stmt, kind: one.kind, node: one.node };
  if (one.kind !== 'AlterTableStmt' || (one.node.cmds ?? []).length < 2) return [base];
  const split = new StatementText(stmt.text).alterCommands();
  if (!split) return [base];
  const parts: ParsedStatement[] = [];
  for (const cmd of split.cmds) {
    const text = `${split.head} ${cmd}`;
    const p = parseOne(text);
    if (!p || p.kind !== 'AlterTableStmt' || (p.node.cmds ?? []).length !== 1) return [base];
    parts.push({ ...stmt, kind: p.kind, node: p.node, text });
  }
  return parts;
}
