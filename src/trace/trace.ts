/**
 * `traceMigration()`: run migration files on a real engine and record, per
 * statement, what PostgreSQL actually did: the relation locks it took on
 * objects that existed before it, the relations it rewrote (new relfilenode),
 * the scans it ran over them (pg_stat_get_xact_numscans and friends), the
 * columns and constraints it changed, whether it failed (SQLSTATE, message),
 * and how long it took.
 *
 * Two modes:
 *
 * - `per-file` (the default): each file runs as its migration framework runs
 *   it (src/migrations/framework.ts, the decision lint makes): in one
 *   transaction of its own, or statement by statement (each statement its own
 *   transaction, as psql's autocommit does; BEGIN ... COMMIT in the file is
 *   honoured). A file with a statement that cannot run in a transaction block
 *   (CONCURRENTLY, VACUUM ...) runs statement by statement. Every file is
 *   committed, so a table an earlier file created is pre-existing for a later
 *   one. They are committed into a scratch database thrown away at the end: a
 *   fresh in-memory PGlite, or on a server a database trace creates (empty, or
 *   from `template`), fills with the history and seed rows, and drops, also on
 *   failure (and, through disposeLiveSandboxes, on SIGINT). With `commit` (or an
 *   open Engine) the files are committed in place instead.
 * - `single-transaction`: the old behaviour: every traced file in one
 *   transaction, rolled back at the end (committed with `commit`). Statements
 *   that cannot run in a transaction run in a sandbox where the history, seed
 *   rows and the statements before them are replayed first.
 *
 * Locks accumulate in a transaction, so a statement's locks are the difference
 * between pg_locks before and after it (relations newly locked, or locked in a
 * stronger mode); `held` lists what the transaction holds when it ends. A
 * statement that cannot run in a transaction runs in autocommit and its locks
 * are sampled from a second connection while it runs; a helper transaction
 * holding ACCESS SHARE on the tables and an old snapshot makes it pause where
 * it waits for other transactions, so the sample sees the locks it holds at
 * that point. On PGlite (one backend) those locks are not observable.
 *
 * Scans are the difference of each pre-existing relation's counters before and
 * after the statement: inside a transaction this backend's pending counters
 * (pg_stat_get_xact_*: exact); in autocommit the shared counters plus the
 * pending ones (PostgreSQL 15+ and PGlite, whose statistics are synchronous;
 * other sessions in the same database add to them). A table's `scans` count
 * its sequential scans and `rows` the rows they read; an index's count index
 * scans and the entries they returned, with the table rows fetched through it
 * in `fetched`. A partitioned table has no storage: its partitions' scans are
 * reported on the partitions. TOAST tables and block copies (SET TABLESPACE)
 * are not counted; VACUUM and ANALYZE read blocks (`blocks`) without a counted
 * scan.
 *
 * The result (TraceResult, formatVersion 1) is the documented, stable shape the
 * CLI prints as JSON and other tools (the differential generator) read.
 */
import { quoteIdentAlways } from '../sql/quote.js';
import { compareText } from '../sql/text.js';
import { performance } from 'node:perf_hooks';
import { lockStrength, type LockMode } from '../locks/modes.js';
import { detectFramework, type Framework } from '../migrations/framework.js';
import { parseSqlFile } from '../sql/parse.js';
import { loadParser } from '../sql/parser.js';
import type { ParsedStatement } from '../sql/statement.js';
import {
  engineHost,
  maskSecrets,
  serverHost,
  ServerEngine,
  serverVersion,
  type Engine,
  type EngineHost,
  type Sandbox,
} from './engine.js';
import {
  LOCKS_OF_PID_SQL,
  lockModeFromPg,
  qualifiedName,
  scanSupport,
  snapshotCatalog,
  snapshotLocks,
  snapshotScans,
  strongestByOid,
  type CatalogSnap,
  type LockSnap,
  type RelationSnap,
  type ScanCounterKind,
  type ScanCounters,
} from './introspect.js';
import { seedTables } from './seed.js';

/** The version of the TraceResult shape; bumped when a field changes meaning or goes away. */
export const TRACE_FORMAT_VERSION = 1;

export interface TraceSource {
  /** Path shown in reports. */
  path: string;
  text: string;
  /**
   * The file on disk, for framework detection (a Flyway `.conf` beside it, Diesel's
   * metadata.toml, sqitch.plan); default `path`.
   */
  file?: string;
}

export type TraceMode = 'per-file' | 'single-transaction';

export interface TraceOptions {
  /**
   * `'pglite'`, a postgres:// URL, an EngineHost, or an open Engine the caller
   * owns (then everything runs in it in place, and the caller disposes it).
   */
  engine: string | EngineHost | Engine;
  /** Files applied (and committed) before the traced files, not traced. */
  history?: TraceSource[];
  /** `per-file` (default) or `single-transaction`; see the module comment. */
  mode?: TraceMode;
  /**
   * per-file: commit into the database the engine names instead of a scratch database.
   * single-transaction: commit the traced statements instead of rolling them back.
   */
  commit?: boolean;
  /**
   * per-file: true runs every file in one transaction, false runs every file statement by
   * statement; default: as the file's framework runs it.
   */
  assumeInTransaction?: boolean;
  /** Servers: create the scratch database from this template database instead of an empty one. */
  template?: string;
  /** Fill pre-existing tables with this many generated rows before tracing. */
  seedRows?: number;
  /** lock_timeout for the traced statements (default 5000 ms; 0 = none). */
  lockTimeoutMs?: number;
}

export type RelationKindName = 'table' | 'partitioned table' | 'index' | 'materialized view' | 'view' | 'sequence' | 'foreign table';

export interface TracedLock {
  relation: string;
  schema: string;
  name: string;
  kind: RelationKindName;
  mode: LockMode;
  /** The strongest mode this transaction held on the relation before the statement. */
  previous: LockMode | null;
  /** False when the statement was seen waiting for this lock (sampled runs). */
  granted: boolean;
}

export interface TracedRewrite {
  relation: string;
  schema: string;
  name: string;
  kind: RelationKindName;
  /** `rewrite`: new storage with the data copied; `truncate`: new empty storage. */
  how: 'rewrite' | 'truncate';
}

/** What a statement read of one pre-existing relation (counter differences; only relations with one above 0). */
export interface TracedScan {
  relation: string;
  schema: string;
  name: string;
  kind: RelationKindName;
  /** For an index: the table it indexes. */
  table: string | null;
  /** For a partition: its partitioned table. */
  partitionOf: string | null;
  /** Table: sequential scans (pg_stat_get_xact_numscans). Index: index scans. */
  scans: number;
  /** Table: rows its sequential scans read (tuples_returned). Index: entries its scans returned. */
  rows: number;
  /** Table: rows fetched by bitmap heap scans. Index: table rows fetched through it (tuples_fetched). */
  fetched: number;
  /** Blocks requested from shared buffers (blocks_fetched: hits and reads), scans or not. */
  blocks: number;
  /** The strongest lock held on the relation when the statement ended (sampled: seen while it ran); null when not observed. */
  lock: LockMode | null;
}

export interface ColumnChange {
  relation: string;
  column: string;
  change: 'added' | 'dropped' | 'renamed' | 'type' | 'nullability' | 'default' | 'identity' | 'generated';
  before: string | null;
  after: string | null;
}

export interface ConstraintChange {
  relation: string;
  constraint: string;
  type: string;
  change: 'added' | 'dropped' | 'renamed' | 'validated' | 'definition';
  validated: boolean | null;
  before: string | null;
  after: string | null;
}

/**
 * How the statement was run:
 * - `transaction`: in a transaction with other statements (the file's, a BEGIN block in the file, or --single-transaction's);
 * - `autocommit`: in a transaction of its own (observed exactly: trace opens and commits it);
 * - `outside`: cannot run in a transaction block, ran in autocommit (locks sampled);
 * - `sandbox`: --single-transaction only: like `outside`, in a sandbox after replaying what came before;
 * - `control`: BEGIN / COMMIT / ROLLBACK of the file, carried out by trace;
 * - `skipped`: not run (an earlier statement failed, or trace does not run it: savepoints, PREPARE TRANSACTION).
 */
export type RunMode = 'transaction' | 'autocommit' | 'outside' | 'sandbox' | 'control' | 'skipped';
/** exact: diffed pg_locks of the same backend; sampled: polled from a second connection. */
export type LockObservation = 'exact' | 'sampled' | 'not-observable';
/** exact: this transaction's counters; cumulative: shared + pending counters around an autocommit statement. */
export type ScanObservation = 'exact' | 'cumulative' | 'not-observable';

export interface StatementFailure {
  /** The SQLSTATE (e.g. 23502), or null for an error without one. */
  sqlstate: string | null;
  /** The server's message, secrets masked. */
  message: string;
}

export interface TracedStatement {
  file: string;
  index: number;
  line: number;
  kind: string;
  text: string;
  run: RunMode;
  /** Which transaction it ran in (1, 2, ... in order; statements of one transaction share it); null outside one. */
  transaction: number | null;
  locksObserved: LockObservation;
  /** Locks newly taken (or strengthened) on pre-existing relations. */
  locks: TracedLock[];
  /** Every lock the transaction holds on pre-existing relations when the statement ends (exact runs), with `previous` null. */
  held: TracedLock[];
  rewrites: TracedRewrite[];
  scansObserved: ScanObservation;
  /** Reads of pre-existing relations, by relation name. Also measured for a statement that failed. */
  scans: TracedScan[];
  created: string[];
  dropped: string[];
  renamed: Array<{ from: string; to: string }>;
  columns: ColumnChange[];
  constraints: ConstraintChange[];
  durationMs: number;
  /** `message (SQLSTATE x)`, or null when it ran. */
  error: string | null;
  failure: StatementFailure | null;
  note: string | null;
}

export interface TracedFile {
  path: string;
  framework: Framework;
  /**
   * `file`: the whole file in one transaction; `statements`: statement by statement (each its own
   * transaction or none; BEGIN ... COMMIT in the file honoured); `single`: --single-transaction.
   */
  transaction: 'file' | 'statements' | 'single';
  /** Why (the framework's behaviour, or the flag). */
  why: string;
  /** What became of the file's changes. */
  outcome: 'committed' | 'rolled back' | 'partly committed' | 'not run';
  /** Tables earlier traced files created that were filled with --seed-rows rows before this file ran. */
  seeded: string[];
}

export interface TraceResult {
  formatVersion: typeof TRACE_FORMAT_VERSION;
  engine: { kind: 'pglite' | 'pg'; label: string; version: string; major: number };
  mode: TraceMode;
  /** Where the traced statements ran ("a scratch PGlite instance", "scratch throwaway database x ..."). */
  workspace: string;
  /** The scratch database trace made and threw away (per-file mode); null when it ran in place. */
  scratch: { kind: 'pglite' | 'database'; database: string | null; template: string | null; dropped: boolean } | null;
  /** The traced statements' changes were committed (per-file: into the scratch database, unless a file failed). */
  committed: boolean;
  seedRows: number;
  historyStatements: number;
  files: TracedFile[];
  statements: TracedStatement[];
  warnings: string[];
  /** A failure that stopped the trace (history, seeding, a traced statement). */
  error: string | null;
}

const KIND_NAMES: Record<string, RelationKindName> = {
  r: 'table',
  p: 'partitioned table',
  i: 'index',
  I: 'index',
  m: 'materialized view',
  v: 'view',
  S: 'sequence',
  f: 'foreign table',
};

function kindName(relkind: string): RelationKindName {
  return KIND_NAMES[relkind] ?? 'table';
}

// ---- which statements cannot run in a transaction block ------------------------

function hasConcurrentlyParam(params: unknown): boolean {
  return Array.isArray(params) && params.some((p: any) => String(p?.DefElem?.defname ?? '').toLowerCase() === 'concurrently');
}

/** The statement cannot run inside a transaction block (per its parse tree). */
export function isNonTransactional(stmt: ParsedStatement, major: number): boolean {
  const n = stmt.node as any;
  switch (stmt.kind) {
    case 'IndexStmt':
    case 'DropStmt':
      return n?.concurrent === true;
    case 'ReindexStmt':
      return n?.concurrent === true || hasConcurrentlyParam(n?.params);
    case 'VacuumStmt':
      return n?.is_vacuumcmd === true;
    case 'AlterTableStmt':
      return (n?.cmds ?? []).some((c: any) => c?.AlterTableCmd?.subtype === 'AT_DetachPartition' && c?.AlterTableCmd?.def?.PartitionCmd?.concurrent === true);
    case 'AlterEnumStmt':
      return major < 12 && !n?.oldVal;
    case 'CreatedbStmt':
    case 'DropdbStmt':
    case 'AlterSystemStmt':
    case 'CreateTableSpaceStmt':
    case 'DropTableSpaceStmt':
    case 'CreateSubscriptionStmt':
    case 'DropSubscriptionStmt':
      return true;
    default:
      return false;
  }
}

/** How a file runs in per-file mode: as lint decides it (src/lint/api.ts makeSource), from its framework. */
export function fileTransaction(
  src: TraceSource,
  stmts: readonly ParsedStatement[],
  major: number,
  assumeInTransaction?: boolean,
): { framework: Framework; transaction: 'file' | 'statements'; why: string; warning: string | null } {
  const info = detectFramework(src.file ?? src.path, src.text);
  let wraps: boolean;
  let why: string;
  if (assumeInTransaction !== undefined) {
    wraps = assumeInTransaction;
    why = assumeInTransaction ? '--assume-in-transaction: every file in one transaction' : '--no-assume-in-transaction: every statement on its own';
  } else {
    const mode =
      info.wrapsInTransaction && info.sentAsOneQuery && info.framework === 'golang-migrate'
        ? 'implicit'
        : info.wrapsInTransaction
          ? 'wrapped'
          : info.sentAsOneQuery
            ? 'implicit'
            : 'none';
    wraps = mode === 'wrapped' || (mode === 'implicit' && stmts.length > 1);
    why = info.why;
  }
  const nonTx = stmts.find((s) => isNonTransactional(s, major));
  if (wraps && nonTx) {
    const where = `${src.path}:${nonTx.span.start.line}`;
    return {
      framework: info.framework,
      transaction: 'statements',
      why: `${why}; but ${where} cannot run in a transaction block, so trace runs the file statement by statement`,
      warning: `${where}: ${assumeInTransaction ? 'with --assume-in-transaction' : `${info.framework} runs this file in one transaction, where`} this statement fails (cannot run inside a transaction block); traced statement by statement instead`,
    };
  }
  return { framework: info.framework, transaction: wraps ? 'file' : 'statements', why, warning: null };
}

// ---- diffs -------------------------------------------------------------------------

function diffLocks(before: readonly LockSnap[], after: readonly LockSnap[], pre: Map<string, RelationSnap>): TracedLock[] {
  const prev = strongestByOid(before);
  const now = strongestByOid(after.filter((l) => !before.some((b) => b.oid === l.oid && b.mode === l.mode)));
  return toTracedLocks(now, pre, prev);
}

function toTracedLocks(locks: Map<string, LockSnap>, pre: Map<string, RelationSnap>, prev: Map<string, LockSnap> = new Map()): TracedLock[] {
  const out: TracedLock[] = [];
  for (const [oid, l] of locks) {
    const rel = pre.get(oid);
    if (!rel) continue; // catalog, or created by this statement
    const p = prev.get(oid)?.mode ?? null;
    if (p !== null && lockStrength(p) >= lockStrength(l.mode)) continue;
    out.push({ relation: qualifiedName(rel), schema: rel.schema, name: rel.name, kind: kindName(rel.relkind), mode: l.mode, previous: p, granted: l.granted });
  }
  return out.sort((a, b) => lockStrength(b.mode) - lockStrength(a.mode) || compareText(a.relation, b.relation));
}

/** Counter differences of the relations that existed before the statement (and still exist). */
function diffScans(
  pre: Map<string, RelationSnap>,
  before: Map<string, ScanCounters>,
  after: Map<string, ScanCounters>,
  held: Map<string, LockSnap>,
): TracedScan[] {
  const out: TracedScan[] = [];
  const name = (oid: string | null) => {
    const r = oid === null ? undefined : pre.get(oid);
    return r ? qualifiedName(r) : null;
  };
  for (const [oid, rel] of pre) {
    const b = before.get(oid);
    const a = after.get(oid);
    if (!a || !b) continue;
    const d = (k: keyof ScanCounters) => Math.max(0, a[k] - b[k]);
    const scan: TracedScan = {
      relation: qualifiedName(rel),
      schema: rel.schema,
      name: rel.name,
      kind: kindName(rel.relkind),
      table: name(rel.tableOid),
      partitionOf: name(rel.parentOid),
      scans: d('scans'),
      rows: d('rows'),
      fetched: d('fetched'),
      blocks: d('blocks'),
      lock: held.get(oid)?.mode ?? null,
    };
    if (scan.scans || scan.rows || scan.fetched || scan.blocks) out.push(scan);
  }
  return out.sort((x, y) => compareText(x.relation, y.relation));
}

/**
 * The rows of each table a statement read, however it read them: its sequential scans'
 * rows plus the rows fetched through its indexes (CLUSTER reads through an index; a
 * foreign key check may probe the referenced key's index row by row).
 */
export function tableReads(s: Pick<TracedStatement, 'scans'>): Map<string, { scans: number; rows: number; indexScans: number }> {
  const out = new Map<string, { scans: number; rows: number; indexScans: number }>();
  const get = (rel: string) => {
    let e = out.get(rel);
    if (!e) out.set(rel, (e = { scans: 0, rows: 0, indexScans: 0 }));
    return e;
  };
  for (const x of s.scans) {
    if (x.kind === 'index') {
      if (x.table === null || (x.scans === 0 && x.fetched === 0)) continue;
      const e = get(x.table);
      e.indexScans += x.scans;
      e.rows += x.fetched;
    } else if (x.scans || x.rows || x.fetched) {
      const e = get(x.relation);
      e.scans += x.scans;
      e.rows += x.rows + x.fetched;
    }
  }
  return out;
}

interface StructuralDiff {
  rewrites: TracedRewrite[];
  created: string[];
  dropped: string[];
  renamed: Array<{ from: string; to: string }>;
  columns: ColumnChange[];
  constraints: ConstraintChange[];
}

function diffCatalog(before: CatalogSnap, after: CatalogSnap, truncate: boolean): StructuralDiff {
  const d: StructuralDiff = { rewrites: [], created: [], dropped: [], renamed: [], columns: [], constraints: [] };
  const afterByName = new Map<string, RelationSnap>();
  for (const r of after.relations.values()) afterByName.set(`${r.relkind === 'I' ? 'i' : r.relkind}:${qualifiedName(r)}`, r);
  const relName = (oid: string) => {
    const r = after.relations.get(oid) ?? before.relations.get(oid);
    return r ? qualifiedName(r) : oid;
  };
  const how = truncate ? 'truncate' : 'rewrite';
  for (const [oid, b] of before.relations) {
    const a = after.relations.get(oid);
    if (a) {
      if (qualifiedName(a) !== qualifiedName(b)) d.renamed.push({ from: qualifiedName(b), to: qualifiedName(a) });
      if (b.relfilenode !== '0' && a.relfilenode !== '0' && a.relfilenode !== b.relfilenode) {
        d.rewrites.push({ relation: qualifiedName(b), schema: b.schema, name: b.name, kind: kindName(b.relkind), how });
      }
      continue;
    }
    // Gone by oid: replaced by a new relation of the same name (REINDEX CONCURRENTLY swaps), or dropped.
    const same = afterByName.get(`${b.relkind === 'I' ? 'i' : b.relkind}:${qualifiedName(b)}`);
    if (same && !before.relations.has(same.oid)) {
      if (b.relfilenode !== '0') d.rewrites.push({ relation: qualifiedName(b), schema: b.schema, name: b.name, kind: kindName(b.relkind), how: 'rewrite' });
    } else {
      d.dropped.push(qualifiedName(b));
    }
  }
  for (const [oid, a] of after.relations) {
    if (before.relations.has(oid)) continue;
    const b = [...before.relations.values()].find((x) => qualifiedName(x) === qualifiedName(a) && (x.relkind === 'I' ? 'i' : x.relkind) === (a.relkind === 'I' ? 'i' : a.relkind));
    if (b && !after.relations.has(b.oid)) continue; // the replacement above
    d.created.push(qualifiedName(a));
  }

  for (const [key, b] of before.columns) {
    if (!after.relations.has(b.relOid)) continue;
    const a = after.columns.get(key);
    const rel = relName(b.relOid);
    if (!a) {
      d.columns.push({ relation: rel, column: b.name, change: 'dropped', before: b.type, after: null });
      continue;
    }
    if (a.name !== b.name) d.columns.push({ relation: rel, column: a.name, change: 'renamed', before: b.name, after: a.name });
    if (a.type !== b.type) d.columns.push({ relation: rel, column: a.name, change: 'type', before: b.type, after: a.type });
    if (a.notNull !== b.notNull) d.columns.push({ relation: rel, column: a.name, change: 'nullability', before: b.notNull ? 'NOT NULL' : 'NULL', after: a.notNull ? 'NOT NULL' : 'NULL' });
    if (a.default !== b.default) d.columns.push({ relation: rel, column: a.name, change: 'default', before: b.default, after: a.default });
    if (a.identity !== b.identity) d.columns.push({ relation: rel, column: a.name, change: 'identity', before: b.identity || null, after: a.identity || null });
    if (a.generated !== b.generated) d.columns.push({ relation: rel, column: a.name, change: 'generated', before: b.generated || null, after: a.generated || null });
  }
  for (const [key, a] of after.columns) {
    if (before.columns.has(key) || !before.relations.has(a.relOid)) continue;
    d.columns.push({ relation: relName(a.relOid), column: a.name, change: 'added', before: null, after: `${a.type}${a.notNull ? ' NOT NULL' : ''}${a.default !== null ? ` DEFAULT ${a.default}` : ''}` });
  }

  for (const [oid, b] of before.constraints) {
    if (!after.relations.has(b.relOid)) continue;
    const a = after.constraints.get(oid);
    const rel = relName(b.relOid);
    if (!a) {
      d.constraints.push({ relation: rel, constraint: b.name, type: b.type, change: 'dropped', validated: null, before: b.definition, after: null });
      continue;
    }
    if (a.name !== b.name) d.constraints.push({ relation: rel, constraint: a.name, type: a.type, change: 'renamed', validated: a.validated, before: b.name, after: a.name });
    if (a.validated !== b.validated) d.constraints.push({ relation: rel, constraint: a.name, type: a.type, change: 'validated', validated: a.validated, before: String(b.validated), after: String(a.validated) });
    if (a.definition !== b.definition) d.constraints.push({ relation: rel, constraint: a.name, type: a.type, change: 'definition', validated: a.validated, before: b.definition, after: a.definition });
  }
  for (const [oid, a] of after.constraints) {
    if (before.constraints.has(oid) || !before.relations.has(a.relOid)) continue;
    d.constraints.push({ relation: relName(a.relOid), constraint: a.name, type: a.type, change: 'added', validated: a.validated, before: null, after: a.definition });
  }
  return d;
}

// ---- running -----------------------------------------------------------------------

function statementsOf(src: TraceSource): { stmts: ParsedStatement[]; error: string | null } {
  const parsed = parseSqlFile(src.path, src.text);
  if (parsed.error) return { stmts: [], error: `${src.path}:${parsed.error.line}:${parsed.error.column}: ${parsed.error.message}` };
  return { stmts: parsed.statements.filter((s) => s.inDoBlock === null), error: null };
}

function emptyStatement(file: string, s: ParsedStatement, run: RunMode): TracedStatement {
  return {
    file,
    index: s.index,
    line: s.span.start.line,
    kind: s.kind,
    text: s.text,
    run,
    transaction: null,
    locksObserved: 'exact',
    locks: [],
    held: [],
    rewrites: [],
    scansObserved: 'not-observable',
    scans: [],
    created: [],
    dropped: [],
    renamed: [],
    columns: [],
    constraints: [],
    durationMs: 0,
    error: null,
    failure: null,
    note: null,
  };
}

function skippedStatement(file: string, s: ParsedStatement, note: string): TracedStatement {
  const t = emptyStatement(file, s, 'skipped');
  t.locksObserved = 'not-observable';
  t.note = note;
  return t;
}

function failureOf(e: unknown): StatementFailure {
  const err = e as { message?: string; code?: unknown };
  return { sqlstate: typeof err?.code === 'string' ? err.code : null, message: maskSecrets(err?.message ?? String(e)) };
}

function errorMessage(e: unknown): string {
  const f = failureOf(e);
  return f.sqlstate ? `${f.message} (SQLSTATE ${f.sqlstate})` : f.message;
}

function setFailure(t: TracedStatement, e: unknown): void {
  t.failure = failureOf(e);
  t.error = errorMessage(e);
}

function isEngine(x: unknown): x is Engine {
  return typeof x === 'object' && x !== null && typeof (x as Engine).query === 'function' && typeof (x as Engine).exec === 'function';
}

function isHost(x: unknown): x is EngineHost {
  return typeof x === 'object' && x !== null && typeof (x as EngineHost).open === 'function' && typeof (x as EngineHost).sandbox === 'function';
}

/** What the engine lets trace count: scans at all (track_counts), and around autocommit statements. */
interface ScanContext {
  counts: boolean;
  cumulative: boolean;
}

async function readScans(engine: Engine, ctx: ScanContext, kind: ScanCounterKind): Promise<Map<string, ScanCounters> | null> {
  if (!ctx.counts || (kind === 'cumulative' && !ctx.cumulative)) return null;
  return snapshotScans(engine, kind);
}

/**
 * Runs a statement that cannot run in a transaction (autocommit) and samples
 * its locks from a second connection when the engine has one.
 */
async function runObserved(
  engine: Engine,
  sql: string,
  pre: Map<string, RelationSnap>,
): Promise<{ locks: TracedLock[]; held: Map<string, LockSnap>; observed: LockObservation; error: unknown; durationMs: number }> {
  if (!engine.connectAgain) {
    const t0 = performance.now();
    let error: unknown = null;
    try {
      await engine.exec(sql);
    } catch (e) {
      error = e;
    }
    return { locks: [], held: new Map(), observed: 'not-observable', error, durationMs: performance.now() - t0 };
  }
  const pid = await engine.pid();
  const observer = await engine.connectAgain();
  let holder: Engine | null = await engine.connectAgain();
  try {
    // The helper transaction: an old snapshot and ACCESS SHARE on every table.
    // Statements that wait for older transactions (CONCURRENTLY) or for a lock
    // that conflicts with ACCESS SHARE pause while it is open, in plain sight.
    await holder.exec(`SET lock_timeout = '2s'; BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT pg_catalog.txid_current();`);
    for (const r of pre.values()) {
      if (!['r', 'p', 'm'].includes(r.relkind)) continue;
      try {
        await holder.exec(`SAVEPOINT s; LOCK TABLE ONLY ${quoteIdentAlways(r.schema)}.${quoteIdentAlways(r.name)} IN ACCESS SHARE MODE; RELEASE SAVEPOINT s;`);
      } catch {
        await holder.exec('ROLLBACK TO SAVEPOINT s; RELEASE SAVEPOINT s;');
      }
    }
  } catch {
    await holder.close();
    holder = null;
  }
  const seen = new Map<string, LockSnap>();
  let done = false;
  let error: unknown = null;
  const t0 = performance.now();
  const run = engine.exec(sql).then(
    () => {
      done = true;
    },
    (e) => {
      error = e;
      done = true;
    },
  );
  const release = async () => {
    if (!holder) return;
    const h = holder;
    holder = null;
    try {
      await h.exec('ROLLBACK');
    } finally {
      await h.close();
    }
  };
  try {
    while (!done) {
      let waiting = false;
      for (const r of await observer.query(LOCKS_OF_PID_SQL, [pid])) {
        if (r.granted === false || r.granted === 'f') waiting = true;
        if (r.locktype !== 'relation') continue;
        const mode = lockModeFromPg(String(r.mode));
        if (!mode) continue;
        const oid = String(r.oid);
        const prev = seen.get(oid);
        const granted = r.granted === true || r.granted === 't';
        if (!prev || lockStrength(mode) > lockStrength(prev.mode)) seen.set(oid, { oid, mode, granted });
      }
      if (holder && (waiting || performance.now() - t0 > 3000)) await release();
    }
  } finally {
    await release();
    await run;
    await observer.close();
  }
  const durationMs = performance.now() - t0;
  const locks = toTracedLocks(seen, pre);
  return { locks, held: seen, observed: locks.length ? 'sampled' : 'not-observable', error, durationMs };
}

async function applyStatements(engine: Engine, sources: readonly TraceSource[]): Promise<number> {
  let n = 0;
  for (const src of sources) {
    const { stmts, error } = statementsOf(src);
    if (error) throw new Error(`cannot parse ${error}`);
    for (const s of stmts) {
      if (s.kind === 'TransactionStmt') continue;
      try {
        await engine.exec(s.text);
      } catch (e) {
        throw new Error(`${src.path}:${s.span.start.line}: ${errorMessage(e)}`);
      }
      n++;
    }
  }
  return n;
}

/**
 * A transactional statement in the transaction already open on `engine`, under a
 * savepoint so that a failure leaves the transaction usable for the snapshots.
 */
async function traceInTransaction(engine: Engine, file: string, s: ParsedStatement, run: RunMode, scan: ScanContext): Promise<TracedStatement> {
  const t = emptyStatement(file, s, run);
  const before = await snapshotCatalog(engine);
  const locksBefore = await snapshotLocks(engine);
  const scansBefore = await readScans(engine, scan, 'xact');
  if (scansBefore) t.scansObserved = 'exact';
  await engine.exec('SAVEPOINT ddlguard_trace');
  const t0 = performance.now();
  try {
    await engine.exec(s.text);
    t.durationMs = performance.now() - t0;
    await engine.exec('RELEASE SAVEPOINT ddlguard_trace');
  } catch (e) {
    t.durationMs = performance.now() - t0;
    setFailure(t, e);
    await engine.exec('ROLLBACK TO SAVEPOINT ddlguard_trace');
    await engine.exec('RELEASE SAVEPOINT ddlguard_trace');
    // The locks it took went with the savepoint; the scan counters did not.
    t.locksObserved = 'not-observable';
    if (scansBefore) t.scans = diffScans(before.relations, scansBefore, await snapshotScans(engine, 'xact'), strongestByOid(await snapshotLocks(engine)));
    return t;
  }
  const locksAfter = await snapshotLocks(engine);
  const scansAfter = scansBefore ? await snapshotScans(engine, 'xact') : null;
  const after = await snapshotCatalog(engine);
  const heldNow = strongestByOid(locksAfter);
  t.locks = diffLocks(locksBefore, locksAfter, before.relations);
  t.held = toTracedLocks(heldNow, before.relations);
  if (scansBefore && scansAfter) t.scans = diffScans(before.relations, scansBefore, scansAfter, heldNow);
  Object.assign(t, diffCatalog(before, after, s.kind === 'TruncateStmt'));
  return t;
}

/** A statement run in autocommit on `engine` (no transaction open): locks sampled, scans from the cumulative counters. */
async function traceOutside(engine: Engine, file: string, s: ParsedStatement, run: RunMode, scan: ScanContext): Promise<TracedStatement> {
  const t = emptyStatement(file, s, run);
  const before = await snapshotCatalog(engine);
  const scansBefore = await readScans(engine, scan, 'cumulative');
  const r = await runObserved(engine, s.text, before.relations);
  t.durationMs = r.durationMs;
  t.locks = r.locks;
  t.locksObserved = r.observed;
  if (scansBefore) {
    t.scans = diffScans(before.relations, scansBefore, await snapshotScans(engine, 'cumulative'), r.held);
    t.scansObserved = 'cumulative';
  }
  if (r.error) {
    setFailure(t, r.error);
    return t;
  }
  const after = await snapshotCatalog(engine);
  Object.assign(t, diffCatalog(before, after, s.kind === 'TruncateStmt'));
  return t;
}

interface RunContext {
  engine: Engine;
  major: number;
  scan: ScanContext;
  result: TraceResult;
  seedRows: number;
}

/** SQLSTATEs of a statement that cannot run inside a transaction block (25001) or that ends transactions itself (2D000). */
const OUTSIDE_ONLY = new Set(['25001', '2D000']);

/** per-file mode: each file as its framework runs it, committed (see the module comment). */
async function runPerFile(parsed: ReadonlyArray<{ src: TraceSource; stmts: ParsedStatement[] }>, ctx: RunContext, assume: boolean | undefined): Promise<void> {
  const { engine, result } = ctx;
  let serial = 0;
  let failed = false;
  /** Relations created by the traced files since the last seeding. */
  const created = new Set<string>();
  for (const { src, stmts } of parsed) {
    const how = fileTransaction(src, stmts, ctx.major, assume);
    const tf: TracedFile = { path: src.path, framework: how.framework, transaction: how.transaction, why: how.why, outcome: 'not run', seeded: [] };
    result.files.push(tf);
    if (failed) {
      for (const s of stmts) result.statements.push(skippedStatement(src.path, s, 'not run: an earlier statement failed'));
      continue;
    }
    if (how.warning) result.warnings.push(how.warning);
    if (ctx.seedRows > 0 && created.size > 0) {
      // Tables an earlier file created are pre-existing for this one: give them rows too.
      result.warnings.push(...(await seedTables(engine, ctx.seedRows, created, tf.seeded)));
      created.clear();
    }
    /** The open transaction block: the framework's (the whole file), or one the file opened with BEGIN. */
    let block: 'framework' | 'file' | null = null;
    let pending = false; // statements run in the open block, not yet committed
    let committed = false;
    let lost = false;
    const begin = async (owner: 'framework' | 'file', sql = 'BEGIN') => {
      await engine.exec(sql);
      block = owner;
      serial++;
    };
    const end = async (sql: 'COMMIT' | 'ROLLBACK' | string, rolledBack: boolean) => {
      await engine.exec(sql);
      if (pending) {
        if (rolledBack) lost = true;
        else committed = true;
      }
      pending = false;
      block = null;
    };
    if (how.transaction === 'file') await begin('framework');
    for (const s of stmts) {
      if (failed) {
        result.statements.push(skippedStatement(src.path, s, 'not run: an earlier statement failed'));
        continue;
      }
      if (s.kind === 'TransactionStmt') {
        const t = emptyStatement(src.path, s, 'control');
        t.locksObserved = 'not-observable';
        const kind = String((s.node as any)?.kind ?? '');
        const chain = (s.node as any)?.chain === true;
        if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') {
          if (block) t.note = 'a transaction is already in progress: PostgreSQL ignores this (with a WARNING)';
          else {
            await begin('file', s.text);
            t.note = 'opens a transaction block';
          }
          t.transaction = serial;
        } else if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK') {
          if (!block) t.note = 'no transaction in progress: PostgreSQL ignores this (with a WARNING)';
          else {
            const rolledBack = kind === 'TRANS_STMT_ROLLBACK';
            const owner: 'framework' | 'file' = block;
            t.transaction = serial;
            await end(s.text, rolledBack);
            t.note = `${rolledBack ? 'rolls back' : 'commits'} ${owner === 'framework' ? "the framework's transaction: the statements after it run outside it" : 'the transaction block'}`;
            if (chain) {
              // AND CHAIN: a new transaction starts at once, with the same characteristics.
              block = owner;
              serial++;
              t.note += '; AND CHAIN starts the next one';
            }
          }
        } else {
          t.run = 'skipped';
          t.note = 'not run by trace (savepoints and two-phase commit are not traced)';
        }
        result.statements.push(t);
        continue;
      }
      let t: TracedStatement;
      if (block) {
        t = await traceInTransaction(engine, src.path, s, 'transaction', ctx.scan);
        t.transaction = serial;
        if (!t.error) pending = true;
      } else if (isNonTransactional(s, ctx.major)) {
        t = await traceOutside(engine, src.path, s, 'outside', ctx.scan);
        if (!t.error) committed = true;
      } else {
        // Autocommit: the statement is its own transaction; trace opens it to observe the locks exactly.
        await engine.exec('BEGIN');
        serial++;
        t = await traceInTransaction(engine, src.path, s, 'autocommit', ctx.scan);
        t.transaction = serial;
        if (t.failure && OUTSIDE_ONLY.has(t.failure.sqlstate ?? '')) {
          await engine.exec('ROLLBACK');
          t = await traceOutside(engine, src.path, s, 'outside', ctx.scan);
          if (!t.error) committed = true;
        } else if (t.error) {
          await engine.exec('ROLLBACK');
        } else {
          await engine.exec('COMMIT');
          committed = true;
        }
      }
      result.statements.push(t);
      for (const c of t.created) created.add(c);
      if (t.error !== null) {
        failed = true;
        result.error = `${src.path}:${t.line}: ${t.error}`;
        if (block) {
          pending = true; // the failed block's earlier statements are lost with it
          await end('ROLLBACK', true);
        }
      }
    }
    if (block) {
      if (block === 'framework') await end('COMMIT', false);
      else {
        await end('ROLLBACK', true);
        result.warnings.push(`${src.path}: ends inside a transaction block (BEGIN without COMMIT): rolled back, as psql does when the session ends`);
      }
    }
    const incomplete = lost || failed; // failed is set only by this file here: later files are not run
    tf.outcome = !incomplete ? 'committed' : committed ? 'partly committed' : 'rolled back';
  }
  result.committed = !failed && result.files.every((f) => f.outcome === 'committed');
}

interface SingleContext extends RunContext {
  host: EngineHost;
  commit: boolean;
  history: readonly TraceSource[];
  seedRows: number;
  lockTimeoutMs: number;
}

/** single-transaction mode: every file in one transaction, rolled back unless `commit`. */
async function runSingle(parsed: ReadonlyArray<{ src: TraceSource; stmts: ParsedStatement[] }>, ctx: SingleContext): Promise<void> {
  const { engine, result } = ctx;
  let serial = 0;
  const begin = async () => {
    await engine.exec('BEGIN');
    serial++;
    if (ctx.lockTimeoutMs > 0) await engine.exec(`SET LOCAL lock_timeout = '${Math.floor(ctx.lockTimeoutMs)}ms'`);
  };
  await begin();
  let inTx = true;
  /** Traced statements so far, for replay in a sandbox. */
  const prefix: string[] = [];
  let failed = false;
  for (const { src, stmts } of parsed) {
    result.files.push({
      path: src.path,
      framework: detectFramework(src.file ?? src.path, src.text).framework,
      transaction: 'single',
      why: '--single-transaction: every traced file in one transaction',
      outcome: 'not run',
      seeded: [],
    });
    for (const s of stmts) {
      if (failed) {
        result.statements.push(skippedStatement(src.path, s, 'not run: an earlier statement failed'));
        continue;
      }
      if (s.kind === 'TransactionStmt') {
        result.statements.push(skippedStatement(src.path, s, 'transaction control is managed by trace (--single-transaction)'));
        continue;
      }
      let t: TracedStatement;
      const outside = () => traceOutsideSingle(src.path, s, ctx, prefix, inTx, begin, (v) => (inTx = v));
      if (isNonTransactional(s, ctx.major)) {
        t = await outside();
      } else {
        t = await traceInTransaction(engine, src.path, s, 'transaction', ctx.scan);
        t.transaction = serial;
        if (t.failure?.sqlstate === '25001') t = await outside(); // cannot run in a transaction block after all
      }
      result.statements.push(t);
      if (t.error !== null) {
        failed = true;
        result.error = `${src.path}:${t.line}: ${t.error}`;
      } else {
        prefix.push(s.text);
      }
    }
  }
  if (inTx) {
    if (ctx.commit && !failed) {
      await engine.exec('COMMIT');
      result.committed = true;
    } else {
      await engine.exec('ROLLBACK');
    }
  } else if (ctx.commit && !failed) {
    result.committed = true;
  }
  for (const f of result.files) f.outcome = result.committed ? 'committed' : 'rolled back';
}

async function traceOutsideSingle(
  file: string,
  s: ParsedStatement,
  ctx: SingleContext,
  prefix: readonly string[],
  inTx: boolean,
  begin: () => Promise<void>,
  setInTx: (v: boolean) => void,
): Promise<TracedStatement> {
  if (ctx.commit) {
    // The run is committed anyway: commit what came before, run in autocommit, go on.
    if (inTx) {
      await ctx.engine.exec('COMMIT');
      setInTx(false);
    }
    const t = await traceOutside(ctx.engine, file, s, 'outside', ctx.scan);
    if (t.error === null) {
      await begin();
      setInTx(true);
    }
    return t;
  }
  let sb: Sandbox;
  try {
    sb = await ctx.host.sandbox();
  } catch (e) {
    return skippedStatement(file, s, `cannot run outside the traced transaction: ${errorMessage(e)}`);
  }
  let t: TracedStatement;
  try {
    await applyStatements(sb.engine, ctx.history);
    if (ctx.seedRows > 0) await seedTables(sb.engine, ctx.seedRows);
    for (const sql of prefix) await sb.engine.exec(sql);
    t = await traceOutside(sb.engine, file, s, 'sandbox', ctx.scan);
    t.note = `cannot run in a transaction block: ran in autocommit in ${sb.label} after replaying the statements before it`;
  } catch (e) {
    t = emptyStatement(file, s, 'sandbox');
    t.locksObserved = 'not-observable';
    t.error = `replaying the statements before it in ${sb.label}: ${errorMessage(e)}`;
    t.failure = { sqlstate: failureOf(e).sqlstate, message: t.error };
  } finally {
    await sb.dispose();
  }
  return t;
}

/** Traces `files` (in order) and returns what each statement did. */
export async function traceMigration(files: readonly TraceSource[], opts: TraceOptions): Promise<TraceResult> {
  await loadParser();
  const history = opts.history ?? [];
  const seedRows = opts.seedRows ?? 0;
  const commit = opts.commit ?? false;
  const mode: TraceMode = opts.mode ?? 'per-file';
  const template = opts.template;

  // Where to run.
  let host: EngineHost;
  let engine: Engine;
  let dispose: (() => Promise<void>) | undefined;
  let workspace: string;
  let scratch: TraceResult['scratch'] = null;
  let inPlace = false;
  if (isEngine(opts.engine)) {
    if (template !== undefined) throw new Error('template: not with an open connection (it runs in place)');
    engine = opts.engine;
    host = engine instanceof ServerEngine ? serverHost(engine.url) : engineHost('pglite');
    workspace = mode === 'per-file' ? 'the given connection (in place, each file committed)' : 'the given connection (in place)';
    inPlace = true;
  } else {
    host = isHost(opts.engine) ? opts.engine : engineHost(opts.engine);
    const useSandbox = mode === 'per-file' ? host.kind === 'pglite' || !commit : host.kind === 'pg' && (template !== undefined || (!commit && (history.length > 0 || seedRows > 0)));
    if (useSandbox) {
      const sb = await host.sandbox(template !== undefined ? { template } : undefined);
      engine = sb.engine;
      dispose = () => sb.dispose();
      if (mode === 'per-file') {
        scratch = { kind: host.kind === 'pglite' ? 'pglite' : 'database', database: sb.database ?? null, template: template ?? null, dropped: false };
        workspace =
          host.kind === 'pglite'
            ? 'a scratch PGlite instance (in memory; each file committed, thrown away at the end)'
            : `scratch ${sb.label} on ${host.label} (each file committed; dropped at the end)`;
      } else {
        workspace = host.kind === 'pglite' ? 'a fresh PGlite instance' : `${sb.label} on ${host.label}`;
      }
    } else {
      engine = await host.open();
      const e = engine;
      dispose = () => e.close();
      inPlace = true;
      workspace =
        host.kind === 'pglite'
          ? 'a fresh PGlite instance'
          : mode === 'per-file'
            ? `${host.label} (in place, each file committed)`
            : `${host.label} (in place${commit ? ', committed' : ', rolled back'})`;
    }
  }

  const result: TraceResult = {
    formatVersion: TRACE_FORMAT_VERSION,
    engine: { kind: engine.kind, label: engine.label, version: '', major: 0 },
    mode,
    workspace,
    scratch,
    committed: false,
    seedRows,
    historyStatements: 0,
    files: [],
    statements: [],
    warnings: [],
    error: null,
  };

  let restoreTimeout: string | null = null;
  try {
    const version = await serverVersion(engine);
    result.engine.version = version.version;
    result.engine.major = version.major;
    const support = await scanSupport(engine, version.major);
    if (!support.counts) result.warnings.push('track_counts is off: scans are not observable');
    else if (!support.cumulative) result.warnings.push(`scans of statements that run outside a transaction are not observable before PostgreSQL 15 (its statistics are asynchronous)`);
    try {
      result.historyStatements = await applyStatements(engine, history);
    } catch (e) {
      result.error = `history: ${errorMessage(e)}`;
      return result;
    }
    if (seedRows > 0) result.warnings.push(...(await seedTables(engine, seedRows)));

    // Parse everything first: a parse error stops before anything runs.
    const parsed: Array<{ src: TraceSource; stmts: ParsedStatement[] }> = [];
    for (const src of files) {
      const { stmts, error } = statementsOf(src);
      if (error) {
        result.error = `cannot parse ${error}`;
        return result;
      }
      parsed.push({ src, stmts });
    }

    const lockTimeoutMs = opts.lockTimeoutMs ?? 5000;
    const ctx: RunContext = { engine, major: version.major, scan: support, result, seedRows };
    if (mode === 'per-file') {
      if (inPlace) restoreTimeout = String((await engine.query<{ v: string }>(`SELECT current_setting('lock_timeout') AS v`))[0]?.v ?? '0');
      await engine.exec(`SET lock_timeout = '${Math.max(0, Math.floor(lockTimeoutMs))}ms'`);
      await runPerFile(parsed, ctx, opts.assumeInTransaction);
    } else {
      await runSingle(parsed, { ...ctx, host, commit, history, seedRows, lockTimeoutMs });
    }
    return result;
  } catch (e) {
    result.error = errorMessage(e);
    try {
      await engine.exec('ROLLBACK');
    } catch {
      // no transaction open
    }
    return result;
  } finally {
    if (restoreTimeout !== null) await engine.query(`SELECT pg_catalog.set_config('lock_timeout', $1, false)`, [restoreTimeout]).catch(() => undefined);
    if (dispose) {
      try {
        await dispose();
        if (result.scratch) result.scratch.dropped = true;
      } catch (e) {
        result.warnings.push(`could not throw the scratch away: ${errorMessage(e)}`);
      }
    }
  }
}
