/**
 * The differential check (issue 13, item 3): a generated case (./generate.ts)
 * is linted (the lint engine, for the engine's major) and traced on a real
 * engine (src/trace), and the linter's claim for each statement is compared
 * with what the server did, as test/trace/conformance.test.ts compares a lock
 * fact with a trace, but on the relations the linter resolved:
 *
 * - fails: the linter claims a statement fails when its fact is unsupported on
 *   the major, when it cannot run in a transaction block and runs in one, or
 *   when it fails at the first row (`failsOnRows`) of a table with rows; the
 *   server must fail exactly there. Comparison stops at the first failure.
 * - locks: per pre-existing relation the linter names, the mode it claims must
 *   be the strongest mode the statement took (exact runs), or at least what a
 *   second connection saw (sampled runs, outside a transaction). A lock the
 *   transaction already held at least as strongly is not observable again and
 *   agrees. A lock above ACCESS SHARE on a pre-existing table the linter does not
 *   name disagrees.
 * - rewrite: the linter claims new storage (not empty storage) exactly when the
 *   server gave a pre-existing table (or, for index facts, an index) new
 *   storage with its data copied.
 * - scan: a `scan` claim on a relation means it was read in full (at least one
 *   scan, and at least as many rows as it held when the migration started,
 *   unless an earlier statement of the case wrote it); no scan claim on a
 *   relation the statement touches means no row of it was read. The referenced
 *   table of a foreign key is not checked (its validation reads it in full or
 *   probes its key, as the planner chooses), as in conformance.
 *
 * Where the linter cannot know (the relation is known only to the database,
 * or the classifier says it assumes the worst: `unknown-rewrite`), its claim is
 * an upper bound: claiming a lock, rewrite or scan the server did not need
 * agrees; claiming less than the server did disagrees.
 */
import { lintSources, type SourceFile } from '../lint/engine.js';
import type { StatementEffects } from '../locks/classify.js';
import { lockStrength, type LockMode } from '../locks/modes.js';
import { LOCK_FACTS } from '../locks/table.js';
import type { ParsedStatement } from '../sql/statement.js';
import type { Engine } from '../trace/engine.js';
import { scanTarget } from '../trace/scan-targets.js';
import { tableReads, traceMigration, type TracedStatement } from '../trace/trace.js';
import { stringValue } from '../sql/ast.js';
import { ALL_RULES } from '../../rules/index.js';
import { RESET_SQL, SCHEMA_SQL, type OracleCase } from './generate.js';

export type Aspect = 'fails' | 'lock' | 'rewrite' | 'scan';

export interface Disagreement {
  aspect: Aspect;
  /** Statement index in the migration and its template. */
  index: number;
  template: string;
  /** The fact ids the linter used for the statement. */
  facts: string[];
  statement: string;
  claimed: string;
  observed: string;
}

export interface CaseResult {
  disagreements: Disagreement[];
  /** Statements compared (up to and including the first failure), by template. */
  compared: Array<{ template: string; facts: string[] }>;
  /** The trace stopped for a reason outside any statement (history, parse). */
  error: string | null;
}

interface Claim {
  stmt: ParsedStatement;
  effects: StatementEffects;
  inTransaction: boolean;
  /**
   * Relations the linter's model does not really know when it classifies the statement: absent, or a
   * placeholder an earlier statement on an unknown table left (known only to the database).
   */
  blind: Set<string>;
}

const SCHEMA_FILE = '000_schema.sql';
const HISTORY_FILE = '000_history.sql';
const CASE_FILE = '001_case.sql';

/** Lints the case for `major` and returns, per statement of the case file, the linter's effects. */
export function lintCase(c: OracleCase, major: number): Claim[] {
  const sources: SourceFile[] = [];
  if (c.placement === 'history') sources.push({ displayPath: SCHEMA_FILE, text: SCHEMA_SQL, role: 'history', transaction: 'wrapped' });
  if (c.extraHistory) sources.push({ displayPath: HISTORY_FILE, text: c.extraHistory, role: 'history', transaction: 'wrapped' });
  sources.push({ displayPath: CASE_FILE, text: c.sql, role: 'lint', transaction: c.inTransaction ? 'wrapped' : 'none' });
  const claims: Claim[] = [];
  const r = lintSources(sources, {
    pgVersion: major,
    rules: ALL_RULES,
    severities: new Map(),
    onStatement: (ctx, source) => {
      if (source.role !== 'lint') return;
      const blind = new Set<string>();
      for (const e of ctx.effects.effects) {
        for (const r of [e.table, ...e.locks.map((l) => l.relation)]) {
          if (!r) continue;
          const rel = ctx.model.relations.get(r.key);
          if (!rel || rel.placeholder) blind.add(r.key);
        }
      }
      claims.push({ stmt: ctx.stmt, effects: ctx.effects, inTransaction: ctx.tx.inTransaction, blind });
    },
  });
  if (r.errors.length) throw new Error(`lint: ${r.errors.map((e) => `${e.file}:${e.line}: ${e.message}`).join('; ')}`);
  return claims;
}

/** Puts the case's schema in the database: the seeded schema (whatever the placement: the server always has it) and the case's history. */
async function prepare(engine: Engine, c: OracleCase): Promise<Map<string, number>> {
  await engine.exec(RESET_SQL);
  await engine.exec(SCHEMA_SQL);
  if (c.extraHistory) await engine.exec(c.extraHistory);
  const tables = await engine.query<{ rel: string }>(
    `SELECT n.nspname || '.' || c.relname AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'm') AND n.nspname = 'public' AND c.relispopulated ORDER BY 1`,
  );
  const rows = new Map<string, number>();
  if (tables.length) {
    const sql = tables.map((t, i) => `SELECT ${i} AS i, count(*)::int AS n FROM ${t.rel}`).join(' UNION ALL ');
    for (const r of await engine.query<{ i: number; n: number }>(sql)) rows.set(tables[Number(r.i)]!.rel, Number(r.n));
  }
  return rows;
}

const FACTS = new Map(LOCK_FACTS.map((f) => [f.id, f]));
const INDEX_FACT = /^(reindex|alter-index|create-index|drop-index)/;

/** Runs the case on `engine` (in place: the engine is reset first) and compares. */
export async function checkCase(engine: Engine, c: OracleCase, major: number): Promise<CaseResult> {
  const claims = lintCase(c, major);
  const rows = await prepare(engine, c);
  const trace = await traceMigration([{ path: CASE_FILE, text: c.sql }], { engine, assumeInTransaction: c.inTransaction, lockTimeoutMs: 5000 });
  const out: CaseResult = { disagreements: [], compared: [], error: null };
  if (trace.statements.length === 0 && trace.error) {
    out.error = trace.error;
    return out;
  }
  /** Relations an earlier statement wrote (their row counts changed). */
  const dirty = new Set<string>();
  /** The strongest lock observed per relation in each transaction so far. */
  const held = new Map<number, Map<string, LockMode>>();
  for (let i = 0; i < claims.length; i++) {
    const claim = claims[i]!;
    const s = trace.statements.find((t) => t.index === claim.stmt.index);
    if (!s || s.run === 'skipped') break;
    if (s.run === 'control') continue;
    const template = c.templates[i] ?? '?';
    const facts = claim.effects.effects.map((e) => e.fact.id);
    out.compared.push({ template, facts });
    const add = (aspect: Aspect, claimed: string, observed: string) =>
      out.disagreements.push({ aspect, index: i, template, facts, statement: claim.stmt.text, claimed, observed });
    const before = s.transaction !== null ? (held.get(s.transaction) ?? new Map<string, LockMode>()) : new Map<string, LockMode>();
    compareStatement(claim, s, rows, dirty, before, add);
    if (s.transaction !== null) {
      const m = held.get(s.transaction) ?? new Map<string, LockMode>();
      for (const l of [...s.locks, ...s.held]) {
        const p = m.get(l.relation);
        if (!p || lockStrength(l.mode) > lockStrength(p)) m.set(l.relation, l.mode);
      }
      held.set(s.transaction, m);
    }
    if (s.error) break;
    for (const e of claim.effects.effects) if (e.table && /^(update|delete|insert|truncate|add-column|alter-column-type)/.test(e.fact.id)) dirty.add(e.table.key);
  }
  return out;
}

function compareStatement(
  claim: Claim,
  s: TracedStatement,
  rows: Map<string, number>,
  dirty: Set<string>,
  heldBefore: Map<string, LockMode>,
  add: (aspect: Aspect, claimed: string, observed: string) => void,
): void {
  const { effects } = claim;
  // ---- fails here
  const why: string[] = [];
  if (!effects.transactional && claim.inTransaction) why.push('cannot run in a transaction block');
  for (const e of effects.effects) {
    if (e.fact.unsupported) why.push(`${e.fact.id} is not supported on this major`);
    if (e.fact.failsOnRows && e.table && (rows.get(e.table.key) ?? 0) > 0 && !dirty.has(e.table.key)) why.push(`${e.fact.id} fails on a table with rows`);
  }
  const failed = s.error !== null;
  if (why.length > 0 !== failed) {
    add('fails', why.length ? `fails: ${why.join('; ')}` : 'runs', failed ? `fails: ${s.error}` : 'runs');
    return;
  }
  if (failed) return;

  // ---- locks
  const claimed = new Map<string, { mode: LockMode; bounded: boolean; optional: boolean }>();
  for (const l of effects.locks) {
    if (l.relation.key.includes(':')) continue;
    // Created earlier in this file: trace reports it (it existed before the statement) or not (same transaction).
    // UPDATE checks a foreign key only when its columns change or the row is this transaction's (the fact's note).
    const conditional = l.target === 'referenced-table' && effects.effects.some((e) => e.fact.id === 'update');
    claimed.set(l.relation.key, { mode: l.mode, bounded: claim.blind.has(l.relation.key), optional: !l.relation.preExisting || conditional });
  }
  // What the linter cannot name: it does not know the relation (known only to the database), so not its
  // partitions, its DEFAULT partition or an index's table either. Those locks agree up to the strongest it claims.
  // Also a fact whose targets the linter could not resolve (ALTER DOMAIN on a domain it does not know: which tables use it).
  const blindly =
    effects.locks.some((l) => l.relation.preExisting && (claim.blind.has(l.relation.key) || l.relation.key.includes(':'))) ||
    effects.effects.some((e) => e.fact.locks.length > 0 && e.locks.length === 0);
  if (s.locksObserved !== 'not-observable') {
    const observed = new Map(s.locks.map((l) => [l.relation, l.mode]));
    // REINDEX CONCURRENTLY: trace names the old index object (gone, its name now the new index's) as rewritten.
    const swapped = new Set(s.rewrites.filter((r) => r.kind === 'index').map((r) => r.relation));
    for (const [rel, c] of claimed) {
      const o = observed.get(rel) ?? null;
      const prior = heldBefore.get(rel);
      if (o === null) {
        if (prior && lockStrength(prior) >= lockStrength(c.mode)) continue; // held already: not observable again
        if (s.locksObserved === 'sampled' || c.bounded || c.optional) continue; // a sample can miss it; an upper bound may over-claim
        if (c.mode === 'ACCESS SHARE' && rows.has(rel) === false) continue;
        add('lock', `${rel}: ${c.mode}`, `${rel}: none`);
      } else if (s.locksObserved === 'sampled' && (s.dropped.includes(rel) || (swapped.has(rel) && effects.effects.some((e) => e.fact.id === 'reindex-concurrently')))) {
        // REINDEX CONCURRENTLY drops the old index object (the original one, renamed *_ccold) under ACCESS
        // EXCLUSIVE once no query uses it (reindex-concurrently's note): the index the name now means holds the claim.
        continue;
      } else if (s.locksObserved === 'sampled' || c.bounded) {
        if (lockStrength(o) > lockStrength(c.mode)) add('lock', `${rel}: ${c.mode}`, `${rel}: ${o}`);
      } else if (o !== c.mode) {
        add('lock', `${rel}: ${c.mode}`, `${rel}: ${o}`);
      }
    }
    for (const l of s.locks) {
      // Indexes follow their table's claim (an ALTER TABLE rebuilding them, a DROP TABLE dropping them).
      if (claimed.has(l.relation) || l.mode === 'ACCESS SHARE' || l.kind === 'index' || l.kind === 'sequence') continue;
      if (blindly) continue;
      add('lock', `${l.relation}: not named`, `${l.relation}: ${l.mode}`);
    }
  }

  // ---- rewrite
  // A column type the linter does not know (a user type known only to the database): whether it is a
  // domain with constraints, whose new column rewrites and checks every row, is not in its input. Not judged.
  if (effects.effects.some((e) => e.fact.id.startsWith('add-column') && e.table && claim.blind.has(e.table.key) && userType(e.node))) return;
  // A table created earlier in this file: trace sees its rewrite when an earlier transaction committed it.
  const rewriteEffects = effects.effects.filter((e) => e.table && e.rewrite);
  const claimsRewrite = rewriteEffects.some((e) => e.table!.preExisting);
  const boundedRewrite = rewriteEffects.length > 0 && rewriteEffects.every((e) => claim.blind.has(e.table!.key) || e.typeChange?.cost === 'unknown-rewrite');
  const indexFacts = effects.effects.length > 0 && effects.effects.every((e) => INDEX_FACT.test(e.fact.id));
  const rewrites = s.rewrites.filter((r) => r.how === 'rewrite' && (indexFacts ? r.kind === 'index' : r.kind !== 'index'));
  const rewrote = rewrites.length > 0;
  const optionalRewrite = rewriteEffects.length > 0 && !claimsRewrite;
  if (claimsRewrite !== rewrote && !(boundedRewrite && !rewrote) && !(optionalRewrite && rewrote)) {
    add('rewrite', claimsRewrite ? `rewrites ${rewriteEffects.map((e) => e.table!.key).join(', ')}` : 'no rewrite', rewrote ? `rewrote ${rewrites.map((r) => r.relation).join(', ')}` : 'no rewrite');
  }

  // ---- scan
  if (s.scansObserved === 'not-observable') return;
  const reads = tableReads(s);
  // A partitioned table holds no rows: what is read of it is read of its partitions.
  const partitionsOf = new Map<string, string[]>();
  for (const x of s.scans) if (x.partitionOf) partitionsOf.set(x.partitionOf, [...(partitionsOf.get(x.partitionOf) ?? []), x.relation]);
  const read = (rel: string): { scans: number; rows: number; indexScans: number } => {
    const own = reads.get(rel) ?? { scans: 0, rows: 0, indexScans: 0 };
    for (const p of partitionsOf.get(rel) ?? []) {
      const r = read(p);
      own.scans += r.scans;
      own.rows += r.rows;
      own.indexScans += r.indexScans;
    }
    return own;
  };
  const scanClaims = new Map<string, boolean>(); // relation -> bounded
  const touched = new Set<string>();
  const referenced = new Set<string>();
  for (const e of effects.effects) {
    if (!e.table?.preExisting || e.table.key.includes(':')) continue;
    touched.add(e.table.key);
    for (const l of e.locks) {
      if (l.target === 'referenced-table') referenced.add(l.relation.key);
      else if (l.relation.preExisting && !l.relation.key.includes(':') && l.target !== 'dependent') touched.add(l.relation.key);
    }
    if (!e.scan) continue;
    const t = scanTarget(FACTS.get(e.fact.id)!);
    if (t === 'query') {
      // A materialized view's query: what it reads is the planner's; the view itself may be read (CONCURRENTLY diffs it).
      scanClaims.set(e.table.key, true);
      continue;
    }
    const rel = t === 'table' ? e.table : (e.locks.find((l) => l.target === t)?.relation ?? null);
    if (!rel || rel.key.includes(':')) continue;
    const bounded = claim.blind.has(rel.key) || e.typeChange?.cost === 'unknown-rewrite';
    scanClaims.set(rel.key, (scanClaims.get(rel.key) ?? true) && bounded);
    // A recursing statement: each partition it locks is read in full too.
    for (const l of e.locks) if (l.target === 'table' && l.relation.key !== rel.key && !l.relation.key.includes(':')) scanClaims.set(l.relation.key, scanClaims.get(l.relation.key) ?? bounded);
  }
  for (const [rel, bounded] of scanClaims) {
    const r = read(rel);
    const holds = rows.get(rel);
    const full = r.scans + r.indexScans >= 1 && (holds === undefined || dirty.has(rel) || r.rows >= holds);
    if (!full && !bounded) add('scan', `reads ${rel} in full (${holds ?? '?'} rows)`, `${rel}: ${r.scans} scans + ${r.indexScans} index scans, ${r.rows} rows`);
  }
  for (const rel of touched) {
    if (scanClaims.has(rel) || referenced.has(rel)) continue;
    const r = reads.get(rel) ?? { scans: 0, rows: 0, indexScans: 0 }; // its own rows: a partition the statement reads is its own claim
    if (r.rows > 0) add('scan', `reads no row of ${rel}`, `${rel}: ${r.scans} scans + ${r.indexScans} index scans, ${r.rows} rows`);
  }
}

/** Type names PostgreSQL ships that the parser does not qualify with pg_catalog. */
const BUILTIN_TYPES = new Set(['text', 'uuid', 'json', 'jsonb', 'date', 'bytea', 'inet', 'cidr', 'citext', 'money', 'xml', 'tsvector', 'serial', 'bigserial', 'smallserial']);

/** The ADD COLUMN's type is a user type (not pg_catalog's). */
function userType(cmd: any): boolean {
  const names: string[] = (cmd?.def?.ColumnDef?.typeName?.names ?? []).map(stringValue);
  return !names.includes('pg_catalog') && !BUILTIN_TYPES.has(names[names.length - 1] ?? '');
}

/** The case without statement `i` (and its template), or null when nothing is left. */
function without(c: OracleCase, i: number): OracleCase | null {
  const lines = c.sql.trimEnd().split('\n');
  if (lines.length <= 1) return null;
  lines.splice(i, 1);
  const templates = [...c.templates];
  templates.splice(i, 1);
  return { ...c, sql: lines.join('\n') + '\n', templates };
}

/** Option words whose removal keeps a statement valid more often than not. */
const OPTIONAL = [/ IF NOT EXISTS\b/, / IF EXISTS\b/, / CONCURRENTLY\b/, /\bONLY /, / NOT VALID\b/, / CASCADE\b/, / USING [^;]+(?=;)/, / DEFAULT [^;]+?(?= REFERENCES|;)/, /\bOR REPLACE /];

/**
 * Minimises a disagreeing case: drops statements, history and options while the
 * same aspect still disagrees on the same template. `still` reruns a candidate.
 */
export async function minimise(c: OracleCase, target: Pick<Disagreement, 'aspect' | 'template'>, still: (c: OracleCase) => Promise<CaseResult>): Promise<OracleCase> {
  const agrees = async (x: OracleCase) => {
    try {
      const r = await still(x);
      return !r.disagreements.some((d) => d.aspect === target.aspect && d.template === target.template);
    } catch {
      return true;
    }
  };
  let cur = c;
  let changed = true;
  // Keeps a smaller candidate while it still disagrees.
  const tryCandidate = async (next: OracleCase | null) => {
    if (next && !(await agrees(next))) {
      cur = next;
      changed = true;
    }
  };
  while (changed) {
    changed = false;
    for (let i = cur.sql.trimEnd().split('\n').length - 1; i >= 0; i--) await tryCandidate(without(cur, i));
    if (cur.extraHistory) await tryCandidate({ ...cur, extraHistory: null });
    for (const re of OPTIONAL) {
      if (!re.test(cur.sql)) continue;
      const sql = cur.sql.replace(re, (m) => (m.startsWith(' ') && m.endsWith(' ') ? ' ' : ''));
      if (sql !== cur.sql) await tryCandidate({ ...cur, sql });
    }
    if (cur.inTransaction) await tryCandidate({ ...cur, inTransaction: false });
  }
  return cur;
}
