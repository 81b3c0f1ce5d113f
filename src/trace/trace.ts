/**
 * `traceMigration()`: run a migration on a real engine and record, per
 * statement, what PostgreSQL actually did: the relation locks it took on
 * objects that existed before it, the relations it rewrote (new relfilenode),
 * the columns and constraints it changed, and how long it took.
 *
 * Transactional statements run in one transaction that is rolled back at the
 * end (committed with `commit`). Locks accumulate in a transaction, so each
 * statement's locks are the difference between pg_locks before and after it:
 * relations newly locked, or locked in a stronger mode than before.
 *
 * Statements that cannot run in a transaction (CONCURRENTLY, VACUUM ...) run in
 * autocommit. Without `commit` they run in a sandbox (a throwaway database on
 * the server, or a fresh PGlite instance) where history, seed rows and the
 * statements before them are replayed first. Their locks are sampled from a
 * second connection while they run; a helper transaction holding ACCESS SHARE
 * on the tables and an old snapshot makes them pause where they wait for other
 * transactions, so the sample sees the locks they hold at that point. On PGlite
 * (one backend) those locks are not observable.
 */
import { quoteIdentAlways } from '../sql/quote.js';
import { compareText } from '../sql/text.js';
import { performance } from 'node:perf_hooks';
import { lockStrength, type LockMode } from '../locks/modes.js';
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
} from './engine.js';
import {
  LOCKS_OF_PID_SQL,
  lockModeFromPg,
  qualifiedName,
  snapshotCatalog,
  snapshotLocks,
  strongestByOid,
  type CatalogSnap,
  type LockSnap,
  type RelationSnap,
} from './introspect.js';
import { seedTables } from './seed.js';

export interface TraceSource {
  /** Path shown in reports. */
  path: string;
  text: string;
}

export interface TraceOptions {
  /**
   * `'pglite'`, a postgres:// URL, an EngineHost, or an open Engine the caller
   * owns (then everything runs in it in place, and the caller disposes it).
   */
  engine: string | EngineHost | Engine;
  /** Files applied (and committed) before the traced files, not traced. */
  history?: TraceSource[];
  /** Commit the traced statements instead of rolling them back. */
  commit?: boolean;
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

/** How the statement was run. */
export type RunMode = 'transaction' | 'autocommit' | 'sandbox' | 'skipped';
/** exact: diffed pg_locks of the same backend; sampled: polled from a second connection. */
export type LockObservation = 'exact' | 'sampled' | 'not-observable';

export interface TracedStatement {
  file: string;
  index: number;
  line: number;
  kind: string;
  text: string;
  run: RunMode;
  locksObserved: LockObservation;
  locks: TracedLock[];
  rewrites: TracedRewrite[];
  created: string[];
  dropped: string[];
  renamed: Array<{ from: string; to: string }>;
  columns: ColumnChange[];
  constraints: ConstraintChange[];
  durationMs: number;
  error: string | null;
  note: string | null;
}

export interface TraceResult {
  engine: { kind: 'pglite' | 'pg'; label: string; version: string; major: number };
  /** Where the traced statements ran ("in place", a throwaway database ...). */
  workspace: string;
  committed: boolean;
  seedRows: number;
  historyStatements: number;
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
    locksObserved: 'exact',
    locks: [],
    rewrites: [],
    created: [],
    dropped: [],
    renamed: [],
    columns: [],
    constraints: [],
    durationMs: 0,
    error: null,
    note: null,
  };
}

function errorMessage(e: unknown): string {
  const err = e as { message?: string; code?: string };
  const msg = maskSecrets(err?.message ?? String(e));
  return err?.code ? `${msg} (SQLSTATE ${err.code})` : msg;
}

function isEngine(x: unknown): x is Engine {
  return typeof x === 'object' && x !== null && typeof (x as Engine).query === 'function' && typeof (x as Engine).exec === 'function';
}

function isHost(x: unknown): x is EngineHost {
  return typeof x === 'object' && x !== null && typeof (x as EngineHost).open === 'function' && typeof (x as EngineHost).sandbox === 'function';
}

/**
 * Runs a statement that cannot run in a transaction (autocommit) and samples
 * its locks from a second connection when the engine has one.
 */
async function runObserved(engine: Engine, sql: string, pre: Map<string, RelationSnap>): Promise<{ locks: TracedLock[]; observed: LockObservation; error: unknown; durationMs: number }> {
  if (!engine.connectAgain) {
    const t0 = performance.now();
    let error: unknown = null;
    try {
      await engine.exec(sql);
    } catch (e) {
      error = e;
    }
    return { locks: [], observed: 'not-observable', error, durationMs: performance.now() - t0 };
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
  return { locks, observed: locks.length ? 'sampled' : 'not-observable', error, durationMs };
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

/** Traces `files` (in order) and returns what each statement did. */
export async function traceMigration(files: readonly TraceSource[], opts: TraceOptions): Promise<TraceResult> {
  await loadParser();
  const history = opts.history ?? [];
  const seedRows = opts.seedRows ?? 0;
  const commit = opts.commit ?? false;

  // Where to run.
  let host: EngineHost;
  let engine: Engine;
  let dispose: (() => Promise<void>) | undefined;
  let workspace: string;
  if (isEngine(opts.engine)) {
    engine = opts.engine;
    host = engine instanceof ServerEngine ? serverHost(engine.url) : engineHost('pglite');
    workspace = 'the given connection (in place)';
  } else {
    host = isHost(opts.engine) ? opts.engine : engineHost(opts.engine);
    if (host.kind === 'pglite') {
      engine = await host.open();
      workspace = 'a fresh PGlite instance';
    } else if (commit || (history.length === 0 && seedRows <= 0)) {
      engine = await host.open();
      workspace = `${host.label} (in place${commit ? ', committed' : ', rolled back'})`;
    } else {
      const sb = await host.sandbox();
      engine = sb.engine;
      workspace = `${sb.label} on ${host.label}`;
      dispose = () => sb.dispose();
    }
    const e = engine;
    dispose ??= () => e.close();
  }

  const version = await serverVersion(engine);
  const result: TraceResult = {
    engine: { kind: engine.kind, label: engine.label, version: version.version, major: version.major },
    workspace,
    committed: false,
    seedRows,
    historyStatements: 0,
    statements: [],
    warnings: [],
    error: null,
  };

  try {
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

    const lockTimeout = opts.lockTimeoutMs ?? 5000;
    const begin = async () => {
      await engine.exec('BEGIN');
      if (lockTimeout > 0) await engine.exec(`SET LOCAL lock_timeout = '${Math.floor(lockTimeout)}ms'`);
    };
    await begin();
    let inTx = true;
    /** Traced statements so far, for replay in a sandbox. */
    const prefix: string[] = [];
    let failed = false;

    for (const { src, stmts } of parsed) {
      for (const s of stmts) {
        if (failed) {
          const t = emptyStatement(src.path, s, 'skipped');
          t.note = 'not run: an earlier statement failed';
          t.locksObserved = 'not-observable';
          result.statements.push(t);
          continue;
        }
        if (s.kind === 'TransactionStmt') {
          const t = emptyStatement(src.path, s, 'skipped');
          t.note = 'transaction control is managed by trace';
          t.locksObserved = 'not-observable';
          result.statements.push(t);
          continue;
        }
        let t: TracedStatement;
        if (isNonTransactional(s, version.major)) {
          t = await traceOutsideTransaction(src.path, s, { engine, host, commit, history, seedRows, prefix, inTx, begin, setInTx: (v) => (inTx = v) });
        } else {
          t = await traceInTransaction(engine, src.path, s);
          if (t.error !== null && /SQLSTATE 25001/.test(t.error)) {
            // Cannot run in a transaction block after all: undo the savepoint and go outside.
            t = await traceOutsideTransaction(src.path, s, { engine, host, commit, history, seedRows, prefix, inTx, begin, setInTx: (v) => (inTx = v) });
          }
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
      if (commit && !failed) {
        await engine.exec('COMMIT');
        result.committed = true;
      } else {
        await engine.exec('ROLLBACK');
      }
    } else if (commit && !failed) {
      result.committed = true;
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
    if (dispose) await dispose();
  }
}

async function traceInTransaction(engine: Engine, file: string, s: ParsedStatement): Promise<TracedStatement> {
  const t = emptyStatement(file, s, 'transaction');
  const before = await snapshotCatalog(engine);
  const locksBefore = await snapshotLocks(engine);
  await engine.exec('SAVEPOINT ddlguard_trace');
  const t0 = performance.now();
  try {
    await engine.exec(s.text);
    t.durationMs = performance.now() - t0;
    await engine.exec('RELEASE SAVEPOINT ddlguard_trace');
  } catch (e) {
    t.durationMs = performance.now() - t0;
    t.error = errorMessage(e);
    await engine.exec('ROLLBACK TO SAVEPOINT ddlguard_trace');
    await engine.exec('RELEASE SAVEPOINT ddlguard_trace');
    return t;
  }
  const locksAfter = await snapshotLocks(engine);
  const after = await snapshotCatalog(engine);
  t.locks = diffLocks(locksBefore, locksAfter, before.relations);
  Object.assign(t, diffCatalog(before, after, s.kind === 'TruncateStmt'));
  return t;
}

interface OutsideContext {
  engine: Engine;
  host: EngineHost;
  commit: boolean;
  history: readonly TraceSource[];
  seedRows: number;
  prefix: readonly string[];
  inTx: boolean;
  begin: () => Promise<void>;
  setInTx: (v: boolean) => void;
}

async function traceOutsideTransaction(file: string, s: ParsedStatement, ctx: OutsideContext): Promise<TracedStatement> {
  if (ctx.commit) {
    // The run is committed anyway: commit what came before, run in autocommit, go on.
    const t = emptyStatement(file, s, 'autocommit');
    if (ctx.inTx) {
      await ctx.engine.exec('COMMIT');
      ctx.setInTx(false);
    }
    await observeInto(t, ctx.engine, s);
    if (t.error === null) {
      await ctx.begin();
      ctx.setInTx(true);
    }
    return t;
  }
  const t = emptyStatement(file, s, 'sandbox');
  let sb;
  try {
    sb = await ctx.host.sandbox();
  } catch (e) {
    t.locksObserved = 'not-observable';
    t.run = 'skipped';
    t.note = `cannot run outside the traced transaction: ${errorMessage(e)}`;
    return t;
  }
  try {
    await applyStatements(sb.engine, ctx.history);
    if (ctx.seedRows > 0) await seedTables(sb.engine, ctx.seedRows);
    for (const sql of ctx.prefix) await sb.engine.exec(sql);
    await observeInto(t, sb.engine, s);
    t.note = `cannot run in a transaction block: ran in autocommit in ${sb.label} after replaying the statements before it`;
  } catch (e) {
    t.error = `replaying the statements before it in ${sb.label}: ${errorMessage(e)}`;
  } finally {
    await sb.dispose();
  }
  return t;
}

async function observeInto(t: TracedStatement, engine: Engine, s: ParsedStatement): Promise<void> {
  const before = await snapshotCatalog(engine);
  const r = await runObserved(engine, s.text, before.relations);
  t.durationMs = r.durationMs;
  t.locks = r.locks;
  t.locksObserved = r.observed;
  if (r.error) {
    t.error = errorMessage(r.error);
    return;
  }
  const after = await snapshotCatalog(engine);
  Object.assign(t, diffCatalog(before, after, s.kind === 'TruncateStmt'));
}
