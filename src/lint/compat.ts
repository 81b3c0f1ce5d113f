/**
 * Expand/contract awareness for the compatibility rules.
 *
 * Two kinds of evidence reach the rules through `RuleContext.compat`:
 *
 *  - release: with `lint --base <ref>`, history files are the released state and
 *    linted files the pending release. While the engine replays, ReleaseTracker
 *    records what each side did to every column and table: replacement columns
 *    (added and backfilled from the old one, or named `<col>_new`), sync
 *    triggers, "deprecated" comments, archive renames, table copies, CHECK
 *    constraints and defaults, and columns/tables the pending release creates.
 *  - readers: who reads or writes the object in application code and in the live
 *    database, found before the engine runs (src/readers, see lint/targets.ts).
 *
 * `judgeContract()` turns both (plus the statement's `-- ddlguard: contract`
 * directive) into a verdict a rule applies. Everything here is a pure function
 * of its inputs: no I/O.
 */
import type { Effect, StatementEffects } from '../locks/classify.js';
import { COLUMN_TYPE_CHANGE_FACTS } from '../locks/table.js';
import type { SchemaModel } from '../schema/model.js';
import { columnRefs, isNotNullTestColumn, qnameFromList, qnameFromRangeVar, rangeVars, stringValue } from '../sql/ast.js';
import type { Directive } from '../sql/comments.js';
import type { ParsedStatement } from '../sql/statement.js';
import type { CodeHit, DbHit, ReaderIndex, SearchSummary } from '../readers/types.js';
import { targetKey } from '../readers/types.js';
import type { RuleContext, Severity, RuleReport } from './types.js';

export type RefStatus = 'released' | 'unreleased' | 'unknown';

export interface ReleaseOptions {
  /** The git ref of the released state (`--base`). */
  base: string;
  /** Status of the refs contract directives name in `after <ref>` (resolved by the caller, e.g. with git). */
  refs?: ReadonlyMap<string, RefStatus>;
}

/** What the engine is given: release mode and/or reader evidence, and how evidence sets severity. */
export interface CompatOptions {
  release?: ReleaseOptions | null;
  readers?: ReaderIndex | null;
  /** Config `evidenceSeverity`: overrides of the severity each kind of evidence gives. */
  severity?: EvidenceSeverity | null;
}

export type MarkKind = 'added' | 'replacement-column' | 'sync-trigger' | 'comment' | 'rename' | 'copy-table' | 'check-constraint' | 'not-null-check' | 'default' | 'created';

export interface ReleaseMark {
  kind: MarkKind;
  file: string;
  line: number;
  /** Human description, e.g. "email_new is backfilled from email". */
  text: string;
}

export interface ReleaseState {
  base: string;
  refs: ReadonlyMap<string, RefStatus>;
  /** Object key (`schema.table` or `schema.table.column`) -> what released migrations did to it. */
  released: ReadonlyMap<string, readonly ReleaseMark[]>;
  /** The same for the pending release (the linted files). */
  pending: ReadonlyMap<string, readonly ReleaseMark[]>;
}

/** RuleContext.compat: absent on plain lint runs. */
export interface CompatContext {
  release: ReleaseState | null;
  readers: ReaderIndex | null;
  severity?: EvidenceSeverity | null;
}

// ---------------------------------------------------------------------------
// Severity from evidence
// ---------------------------------------------------------------------------

/**
 * What the readers stage found for a finding's object: a strong reader or writer (parsed
 * SQL, a catalog dependant, a recorded query), weak matches only (identifiers), nothing
 * after a real search (the code was searched, and the database too if one was given and
 * reachable), or no search at all (no readers.paths; a database alone records recent
 * queries only, so its silence proves nothing).
 */
export type EvidenceFound = 'strong' | 'weak' | 'none' | 'not-searched';

/** A step's severity; `default` keeps the rule's (its default or the config's `rules`). */
export type StepSeverity = Severity | 'default';

export interface EvidenceSteps {
  strong?: StepSeverity;
  weak?: StepSeverity;
  none?: StepSeverity;
  notSearched?: StepSeverity;
}

/** Config `evidenceSeverity`: the steps for every compatibility rule, and per rule. */
export interface EvidenceSeverity extends EvidenceSteps {
  rules?: Record<string, EvidenceSteps>;
}

/** The rules whose severity follows the evidence. */
export const EVIDENCE_RULES = ['drop-column', 'drop-table', 'rename-column', 'rename-table', 'column-type-narrowing', 'add-column-required'] as const;

const STEP_KEY: Record<EvidenceFound, keyof EvidenceSteps> = { strong: 'strong', weak: 'weak', none: 'none', 'not-searched': 'notSearched' };

/** Built-in steps: a strong reader is the outage the rule is about; nothing found after a search is info. */
export const DEFAULT_EVIDENCE_STEPS: Required<EvidenceSteps> = { strong: 'error', weak: 'default', none: 'info', notSearched: 'default' };

/**
 * Per-rule built-in steps that differ: ADD COLUMN ... NOT NULL without a default fails on
 * any table with rows whoever writes it, so no writer found only lowers it to a warning.
 */
const RULE_EVIDENCE_STEPS: Readonly<Record<string, EvidenceSteps>> = { 'add-column-required': { none: 'warning' } };

/** The built-in steps of one rule. */
export function ruleEvidenceSteps(ruleId: string): Required<EvidenceSteps> {
  return { ...DEFAULT_EVIDENCE_STEPS, ...RULE_EVIDENCE_STEPS[ruleId] };
}

/** The severity a step gives a rule: config per rule, config for all rules, the rule's built-in step, the built-in step. */
export function stepSeverity(ruleId: string, found: EvidenceFound, config?: EvidenceSeverity | null): StepSeverity {
  const k = STEP_KEY[found];
  return config?.rules?.[ruleId]?.[k] ?? config?.[k] ?? ruleEvidenceSteps(ruleId)[k];
}

/**
 * The rule doc paragraph on severity from evidence, appended to a rule's description:
 * `strong` names strong evidence for the rule, `none` its absence.
 */
export function evidenceSeverityDoc(ruleId: string, defaultSeverity: Severity, what: { strong: string; none: string }): string {
  const st = ruleEvidenceSteps(ruleId);
  const sev = (x: StepSeverity) => (x === 'default' ? `the default (${defaultSeverity})` : x);
  const why = RULE_EVIDENCE_STEPS[ruleId]?.none ? ' (the ALTER still fails on a table with rows)' : '';
  return [
    `Severity follows the evidence when readers are searched (\`readers.paths\` in the config, \`--db\`): ${what.strong} makes it ${sev(st.strong)}; only weak matches (identifiers near the table's name) keep ${sev(st.weak)}; ${what.none} after a search of the code makes it ${sev(st.none)}${why}, and the finding says what was searched; with no search it stays ${sev(st.notSearched)}.`,
    `Each step can be changed in the config, for every rule or for this one: \`"evidenceSeverity": { "strong": "error", "none": "info", "rules": { "${ruleId}": { "weak": "error" } } }\` (\`default\` keeps the rule's severity).`,
  ].join(' ');
}

/** Structured evidence on a finding (JSON output). */
export interface FindingEvidence {
  object: string;
  release?: { base: string; status: 'released-expand' | 'directive' | 'same-release' | 'not-prepared'; marks: ReleaseMark[] };
  directive?: { object: string; after: string | null; status: RefStatus | 'none' };
  readers?: { code: CodeHit[]; db: DbHit[]; searched: SearchSummary };
  /** What the readers stage found, which set the severity (see EvidenceFound). */
  found?: EvidenceFound;
}

// ---------------------------------------------------------------------------
// ReleaseTracker: fed by the engine, before each statement is replayed.
// ---------------------------------------------------------------------------

const DEPRECATED_TEXT = /deprecat|obsolete|do not use|don't use|unused|no longer used|to be (dropped|removed)|will be (dropped|removed)|legacy/i;
const ARCHIVE_NAME = /(_old|_deprecated|_legacy|_archived?|_bak|_backup|_unused)$|^(old|deprecated|legacy|archived?|unused)_/i;
const ARCHIVE_SCHEMA = /archive|deprecated|legacy|^old/i;
const REPLACEMENT_NAME = [/^(.+?)_(new|next|v\d+|tmp|temp|copy|migrated)$/i, /^new_(.+)$/i];

export class ReleaseTracker {
  private readonly released = new Map<string, ReleaseMark[]>();
  private readonly pending = new Map<string, ReleaseMark[]>();
  /** column key -> the side that added it. */
  private readonly added = new Map<string, 'released' | 'pending'>();
  /** function name -> columns its body reads as NEW.x / OLD.x. */
  private readonly fnColumns = new Map<string, Set<string>>();
  readonly state: ReleaseState;

  constructor(opts: ReleaseOptions) {
    this.state = { base: opts.base, refs: opts.refs ?? new Map(), released: this.released, pending: this.pending };
  }

  private mark(side: 'released' | 'pending', key: string, m: ReleaseMark): void {
    const map = side === 'released' ? this.released : this.pending;
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    if (!list.some((x) => x.kind === m.kind && x.text === m.text)) list.push(m);
  }

  /** Record one statement of a released (history) or pending (linted) file, before it is replayed. */
  observe(stmt: ParsedStatement, effects: StatementEffects, model: SchemaModel, file: string, role: 'lint' | 'history'): void {
    const side = role === 'history' ? 'released' : 'pending';
    const line = stmt.span.start.line;
    const at = (kind: MarkKind, text: string): ReleaseMark => ({ kind, file, line, text });
    for (const e of effects.effects) {
      const t = e.table;
      if (!t) continue;
      const col = e.column;
      const id = e.fact.id;
      if (id.startsWith('add-column') && col) {
        const key = `${t.key}.${col}`;
        this.added.set(key, side);
        this.mark(side, key, at('added', `column ${col} added`));
        for (const re of REPLACEMENT_NAME) {
          const base = re.exec(col)?.[1];
          if (base && model.relations.get(t.key)?.columns.has(base)) this.mark(side, `${t.key}.${base}`, at('replacement-column', `replacement column ${col} added`));
        }
      } else if (id === 'set-default' && col && e.node?.def) {
        this.mark(side, `${t.key}.${col}`, at('default', `DEFAULT set on ${col}`));
      } else if (id === 'add-check' || id === 'add-check-not-valid') {
        const con = e.node?.def?.Constraint;
        const notNull = isNotNullTestColumn(con?.raw_expr);
        for (const c of new Set(columnRefs(con?.raw_expr))) {
          this.mark(side, `${t.key}.${c}`, at(c === notNull ? 'not-null-check' : 'check-constraint', `CHECK constraint ${con?.conname ?? ''} on ${c} added${id.endsWith('not-valid') ? ' NOT VALID' : ''}`.replace('  ', ' ')));
        }
      } else if (id === 'add-not-null-constraint-not-valid' && col) {
        this.mark(side, `${t.key}.${col}`, at('not-null-check', `NOT NULL constraint on ${col} added NOT VALID`));
      } else if (id === 'comment-on') {
        const text = String(e.node?.comment ?? '');
        if (DEPRECATED_TEXT.test(text)) this.mark(side, col ? `${t.key}.${col}` : t.key, at('comment', `marked "${text.length > 60 ? text.slice(0, 57) + '...' : text}"`));
      } else if (id === 'rename-table') {
        const to = String(stmt.node?.newname ?? '');
        const schema = t.key.slice(0, t.key.indexOf('.'));
        if (ARCHIVE_NAME.test(to)) this.mark(side, `${schema}.${to}`, at('rename', `renamed from ${t.key.slice(schema.length + 1)} to ${to}`));
      } else if (id === 'rename-column' && col) {
        const to = String(stmt.node?.newname ?? '');
        if (ARCHIVE_NAME.test(to)) this.mark(side, `${t.key}.${to}`, at('rename', `renamed from ${col} to ${to}`));
      } else if (id === 'set-schema') {
        const to = String(stmt.node?.newschema ?? '');
        const name = t.key.slice(t.key.indexOf('.') + 1);
        if (ARCHIVE_SCHEMA.test(to)) this.mark(side, `${to}.${name}`, at('rename', `moved to schema ${to}`));
      } else if (id === 'create-trigger') {
        const fnParts: string[] = (stmt.node?.funcname ?? []).map(stringValue);
        const cols = this.fnColumns.get((fnParts[fnParts.length - 1] ?? '').toLowerCase());
        if (!cols) continue;
        const addedCols = [...cols].filter((c) => this.added.has(`${t.key}.${c}`));
        for (const c of cols) {
          const other = addedCols.find((n) => n !== c);
          if (!other || !model.relations.get(t.key)?.columns.has(c) || this.added.has(`${t.key}.${c}`)) continue;
          const s = this.added.get(`${t.key}.${other}`) === 'pending' ? 'pending' : side;
          this.mark(s, `${t.key}.${c}`, at('sync-trigger', `trigger ${String(stmt.node?.trigname ?? '')} keeps ${other} in sync with ${c}`));
        }
      }
    }
    if (stmt.kind === 'CreateStmt' || stmt.kind === 'CreateTableAsStmt') {
      const rv = stmt.kind === 'CreateStmt' ? stmt.node.relation : stmt.node.into?.rel;
      if (rv) this.mark(side, model.resolveKey(qnameFromRangeVar(rv)), at('created', 'table created'));
    }
    if (stmt.kind === 'CreateFunctionStmt') {
      const name = qnameFromList(stmt.node.funcname).name.toLowerCase();
      const body = (stmt.node.options ?? [])
        .map((o: any) => o?.DefElem)
        .filter((d: any) => d?.defname === 'as')
        .flatMap((d: any) => (d.arg?.List?.items ?? []).map(stringValue))
        .join('\n');
      const cols = new Set<string>();
      for (const m of body.matchAll(/\b(?:new|old)\s*\.\s*"?([A-Za-z_][A-Za-z0-9_$]*)"?/gi)) cols.add(m[1]!.toLowerCase());
      this.fnColumns.set(name, cols);
    }
    if (stmt.kind === 'UpdateStmt') {
      const table = model.resolveKey(qnameFromRangeVar(stmt.node.relation));
      for (const tgt of stmt.node.targetList ?? []) {
        const rt = tgt?.ResTarget;
        const n = rt?.name ? String(rt.name) : null;
        if (!n) continue;
        const addedSide = this.added.get(`${table}.${n}`);
        if (!addedSide) continue;
        const s = addedSide === 'pending' ? 'pending' : side;
        for (const c of new Set(columnRefs(rt.val))) {
          if (c !== n && model.relations.get(table)?.columns.has(c)) this.mark(s, `${table}.${c}`, at('replacement-column', `${n} is backfilled from ${c}`));
        }
      }
    }
    if (stmt.kind === 'InsertStmt' && stmt.node.selectStmt) {
      const into = model.resolveKey(qnameFromRangeVar(stmt.node.relation));
      for (const q of rangeVars(stmt.node.selectStmt)) {
        const from = model.resolveKey(q);
        if (from !== into && model.relations.has(from)) this.mark(side, from, at('copy-table', `rows copied into ${into}`));
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Verdicts
// ---------------------------------------------------------------------------

export type ContractChange = 'drop-column' | 'rename-column' | 'drop-table' | 'rename-table' | 'type-narrowing';

export interface ContractVerdict {
  /** false: the contract step is prepared (released expand, or a directive) and nothing strong still reads it. */
  report: boolean;
  /** Severity to report at, when it differs from the rule's. */
  severity?: Severity;
  /** A sentence to add to the message (release status, readers count). */
  note: string;
  /** Lines for the help: readers found, what was searched. */
  helpLines: string[];
  evidence?: FindingEvidence;
  /** The release mark that prepared it, if any. */
  prepared: ReleaseMark | null;
}

const PREPARES: Record<ContractChange, MarkKind[]> = {
  'drop-column': ['replacement-column', 'sync-trigger', 'comment', 'rename'],
  'rename-column': ['replacement-column', 'sync-trigger', 'comment', 'rename'],
  'drop-table': ['copy-table', 'comment', 'rename'],
  'rename-table': ['copy-table', 'comment', 'rename'],
  'type-narrowing': ['check-constraint', 'replacement-column', 'sync-trigger'],
};

/** `users.email`, `public.users.email`, `users` ... does the directive name this object? */
export function directiveNames(d: Directive & { kind: 'contract' }, table: string, column: string | null): boolean {
  const parts = d.object.replace(/"/g, '').toLowerCase().split('.');
  const [schema, name] = [table.slice(0, table.indexOf('.')), table.slice(table.indexOf('.') + 1)];
  const want = column ? [[name, column], [schema, name, column]] : [[name], [schema, name]];
  return want.some((w) => w.length === parts.length && w.every((x, i) => x.toLowerCase() === parts[i]));
}

export function contractDirective(ctx: RuleContext, table: string, column: string | null): (Directive & { kind: 'contract' }) | null {
  for (const d of ctx.stmt.directives) if (d.kind === 'contract' && directiveNames(d, table, column)) return d;
  return null;
}

function objectKey(table: string, column: string | null): string {
  return column ? `${table}.${column}` : table;
}

function display(table: string, column: string | null): string {
  const t = table.startsWith('public.') ? table.slice(7) : table;
  return column ? `${t}.${column}` : t;
}

const CHANGE_RULE: Record<ContractChange, string> = {
  'drop-column': 'drop-column',
  'rename-column': 'rename-column',
  'drop-table': 'drop-table',
  'rename-table': 'rename-table',
  'type-narrowing': 'column-type-narrowing',
};

/** Absence of evidence counts only when the code was searched, and a database given was reachable. */
function realSearch(s: SearchSummary): boolean {
  return s.code !== null && (s.db === null || s.db.error === null);
}

function foundOf(readers: ReaderIndex | null, strong: number, weak: number): EvidenceFound {
  if (!readers) return 'not-searched';
  return strong > 0 ? 'strong' : weak > 0 ? 'weak' : realSearch(readers.searched) ? 'none' : 'not-searched';
}

/** The severity evidence gives a rule's finding, or undefined to keep the rule's. */
export function evidenceSeverity(ctx: RuleContext, ruleId: string, found: EvidenceFound): Severity | undefined {
  const s = stepSeverity(ruleId, found, ctx.compat?.severity);
  return s === 'default' ? undefined : s;
}

/**
 * Judge a contract step (drop/rename of a column or table, type narrowing) of a
 * pending migration. With no compat context and no directive, it returns
 * `{ report: true, note: '', helpLines: [] }`: the rule reports as it always did.
 * The severity follows what the readers stage found (see stepSeverity).
 */
export function judgeContract(ctx: RuleContext, change: ContractChange, table: string, column: string | null): ContractVerdict {
  const compat = ctx.compat;
  const ruleId = CHANGE_RULE[change];
  const key = objectKey(table, column);
  const what = display(table, column);
  const directive = contractDirective(ctx, table, column);
  const refStatus: RefStatus | 'none' = directive ? (directive.after ? (compat?.release?.refs.get(directive.after) ?? 'unknown') : 'unknown') : 'none';
  const directiveOk = directive !== null && refStatus !== 'unreleased';
  const marks = (compat?.release?.released.get(key) ?? []).filter((m) => PREPARES[change].includes(m.kind));
  const prepared = marks[0] ?? null;
  const narrowing = change === 'type-narrowing';

  // Only objects the readers stage searched have evidence. For a narrowing, what matters is
  // who writes the column (larger values fail once it is narrower): parsed SQL that writes it
  // is strong; reads, identifier matches and database dependants are weak.
  const ev = compat?.readers?.evidence.get(targetKey(column ? 'column' : 'table', table, column));
  const readers = ev ? compat!.readers! : null;
  const code = ev?.code ?? [];
  const db = ev?.db ?? [];
  const isStrong = (h: CodeHit | DbHit) => h.strength === 'strong' && (!narrowing || ('access' in h && h.access === 'write'));
  const strong = code.filter(isStrong).length + db.filter(isStrong).length;
  const weak = code.length + db.length - strong;
  const found = foundOf(readers, strong, weak);

  const evidence: FindingEvidence = { object: key };
  if (compat?.release) {
    evidence.release = { base: compat.release.base, status: directiveOk ? 'directive' : prepared ? 'released-expand' : 'not-prepared', marks };
  }
  if (directive) evidence.directive = { object: directive.object, after: directive.after, status: refStatus };
  if (readers) evidence.readers = { code, db, searched: searchedForEvidence(readers.searched) };
  evidence.found = found;

  const helpLines: string[] = [];
  if (directive && refStatus === 'unreleased') {
    helpLines.push(`The "-- ddlguard: contract ${directive.object} after ${directive.after}" marker names a revision that is not released yet (not in ${compat?.release?.base ?? 'the base'}).`);
  }
  if (readers) helpLines.push(...readerLines(what, code, db, readers.searched, narrowing ? { label: 'Code that writes or uses', none: 'No code writing', isStrong } : undefined));

  const who = narrowing ? 'writer' : 'reader';
  const n = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`;
  // A released CHECK already keeps the deployed code's writes within the new bounds.
  if (narrowing && prepared) return { report: false, note: '', helpLines, evidence, prepared };
  if ((directiveOk || prepared) && strong === 0) {
    if (weak === 0) return { report: false, note: '', helpLines, evidence, prepared };
    const why = directiveOk ? `marked as a contract step${directive!.after ? ` after ${directive!.after}` : ''}` : `prepared by a released migration (${prepared!.file}:${prepared!.line}: ${prepared!.text})`;
    return { report: true, severity: 'info', note: `It is ${why}; only weak matches remain, check them.`, helpLines, evidence, prepared };
  }
  const notes: string[] = [];
  if (directiveOk || prepared) {
    const why = directiveOk ? `marked as a contract step${directive!.after ? ` after ${directive!.after}` : ''}` : `prepared by a released migration (${prepared!.file}:${prepared!.line}: ${prepared!.text})`;
    notes.push(`It is ${why}, but ${n(strong, who)} still use${strong === 1 ? 's' : ''} ${what}.`);
  } else {
    if (compat?.release) notes.push(`No migration released at ${compat.release.base} deprecated or replaced ${what} (expand first, contract in a later release).`);
    if (found === 'strong') notes.push(`${n(strong, who)} found${narrowing ? ' writing it' : ''}.`);
    else if (found === 'weak') notes.push(`${n(weak, `possible ${who}`)} (weak matches).`);
    else if (found === 'none' && readers?.searched.code) notes.push(`No ${who} found in the ${n(readers.searched.code.files, 'file')} searched.`);
  }
  const out: ContractVerdict = { report: true, note: notes.join(' '), helpLines, evidence, prepared };
  const severity = evidenceSeverity(ctx, ruleId, found);
  if (severity) out.severity = severity;
  return out;
}

export interface WriterVerdict {
  /** The column was added by the pending release: the deployed code does not write it. */
  addedThisRelease: ReleaseMark | null;
  /** A released migration already makes NULL writes impossible or harmless (default, NOT NULL check). */
  guarded: ReleaseMark | null;
  strong: number;
  weak: number;
  /** What the readers stage found (sets the severity of add-column-required). */
  found: EvidenceFound;
  helpLines: string[];
  evidence?: FindingEvidence;
}

/** For SET NOT NULL and ADD COLUMN ... NOT NULL: who inserts into the table without naming the column. */
export function judgeWriters(ctx: RuleContext, table: string, column: string): WriterVerdict {
  const compat = ctx.compat;
  const key = objectKey(table, column);
  const what = display(table, column);
  const pendingMarks = compat?.release?.pending.get(key) ?? [];
  const releasedMarks = compat?.release?.released.get(key) ?? [];
  const addedThisRelease = pendingMarks.find((m) => m.kind === 'added') ?? null;
  const guarded = releasedMarks.find((m) => m.kind === 'default' || m.kind === 'not-null-check') ?? null;
  const ev = compat?.readers?.evidence.get(targetKey('writer', table, column));
  const readers = ev ? compat!.readers! : null;
  const code = ev?.code ?? [];
  const db = ev?.db ?? [];
  const strong = code.filter((h) => h.strength === 'strong').length + db.filter((h) => h.strength === 'strong').length;
  const weak = code.length + db.length - strong;
  const helpLines = readers ? writerLines(what, code, db, readers.searched) : [];
  const found = foundOf(readers, strong, weak);
  const evidence: FindingEvidence = { object: key };
  if (compat?.release) evidence.release = { base: compat.release.base, status: addedThisRelease ? 'same-release' : guarded ? 'released-expand' : 'not-prepared', marks: [...pendingMarks, ...releasedMarks] };
  if (readers) evidence.readers = { code, db, searched: searchedForEvidence(readers.searched) };
  evidence.found = found;
  return { addedThisRelease, guarded, strong, weak, found, helpLines, evidence };
}

/** Expand steps of the pending release on this column made in another file (cross-file expand-contract-mix). */
export function pendingExpand(ctx: RuleContext, table: string, column: string): ReleaseMark | null {
  const marks = ctx.compat?.release?.pending.get(`${table}.${column}`) ?? [];
  return marks.find((m) => (m.kind === 'replacement-column' || m.kind === 'sync-trigger') && m.file !== ctx.file) ?? null;
}

/** Was the column (or table) created by the pending release (so no deployed code knows it)? */
export function createdThisRelease(ctx: RuleContext, table: string, column: string | null): boolean {
  const marks = ctx.compat?.release?.pending.get(objectKey(table, column)) ?? [];
  return marks.some((m) => m.kind === (column ? 'added' : 'created'));
}

// ---------------------------------------------------------------------------
// Wording
// ---------------------------------------------------------------------------

const MAX_LISTED = 8;

function hitLine(h: CodeHit, strong = h.strength === 'strong'): string {
  return `  ${h.file}:${h.line}  ${h.certainty} (${strong ? 'strong' : 'weak'}): ${h.detail}`;
}

function dbLine(h: DbHit): string {
  const calls = h.calls !== undefined ? ` (${h.calls} call${h.calls === 1 ? '' : 's'})` : '';
  return h.kind === 'query' ? `  database: pg_stat_statements${calls}: ${h.name} [${h.detail}]` : `  database: ${h.detail} (${h.certainty}, ${h.strength})`;
}

function listed<T>(items: readonly T[], fmt: (x: T) => string): string[] {
  const out = items.slice(0, MAX_LISTED).map((x) => fmt(x));
  if (items.length > MAX_LISTED) out.push(`  ... and ${items.length - MAX_LISTED} more`);
  return out;
}

/** At most `max` items, then "and N more <what>". */
function capped(items: readonly string[], max: number, what: string): string {
  if (items.length <= max) return items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}` : (items[0] ?? '');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more ${what}`;
}

/** The migrations left out of the search, one entry per root: `migrations/`, or `12 migration files in ./`. */
function migrationsLeftOut(globs: readonly string[]): string | null {
  const roots = globs.filter((g) => g.endsWith('/**')).map((g) => g.slice(0, -2));
  const files = globs.length - roots.length;
  if (files > 0) roots.push(files === 1 ? globs.find((g) => !g.endsWith('/**'))! : `${files} migration files in ./`);
  return roots.length ? `the migrations in ${capped(roots, 3, 'roots')}` : null;
}

/**
 * What was searched, in one short line on any layout: the globs, the file count, the
 * migration roots and configured excludes left out, the database. The full lists are in
 * the run's JSON summary (`summary.readers.code.full`) and behind `lint --verbose`.
 */
export function searchedLine(s: SearchSummary): string {
  const parts: string[] = [];
  if (s.code) {
    const left = [migrationsLeftOut(s.code.migrations ?? []), s.code.exclude.length ? capped(s.code.exclude, 3, 'excludes') : null].filter((x): x is string => x !== null);
    parts.push(`${s.code.files} file${s.code.files === 1 ? '' : 's'} matching ${capped(s.code.globs, 4, 'globs')}${left.length ? `, excluding ${left.join(' and ')}` : ''}`);
  }
  if (s.db) {
    if (s.db.error) parts.push(`database ${s.db.url} not checked: ${s.db.error}`);
    else parts.push(`database ${s.db.url}: catalog dependencies checked; ${s.db.statements === 'read' ? 'pg_stat_statements read' : s.db.note ?? 'pg_stat_statements not read'}`);
  }
  return parts.length ? `Searched: ${parts.join('; ')}.` : '';
}

/** The full lists behind searchedLine, one entry a line (`lint --verbose`). */
export function searchedDetail(s: SearchSummary): string[] {
  const full = s.code?.full;
  if (!s.code || !full) return [];
  return [
    `Readers searched ${full.files.length} file${full.files.length === 1 ? '' : 's'} matching ${s.code.globs.join(', ')}:`,
    ...full.files.map((f) => `  ${f}`),
    `Left out (${full.exclude.length} pattern${full.exclude.length === 1 ? '' : 's'}):`,
    ...full.exclude.map((g) => `  ${g}`),
  ];
}

/** The summary as a finding's evidence carries it: without the full lists (they are in the run's summary). */
export function searchedForEvidence(s: SearchSummary): SearchSummary {
  if (!s.code?.full) return s;
  const { full: _full, ...code } = s.code;
  return { ...s, code };
}

function sortHits(code: readonly CodeHit[], isStrong: (h: CodeHit) => boolean = (h) => h.strength === 'strong'): CodeHit[] {
  return [...code].sort((a, b) => (isStrong(a) === isStrong(b) ? 0 : isStrong(a) ? -1 : 1));
}

interface ReaderWording {
  label: string;
  none: string;
  isStrong: (h: CodeHit | DbHit) => boolean;
}

function readerLines(what: string, code: readonly CodeHit[], db: readonly DbHit[], searched: SearchSummary, wording?: ReaderWording): string[] {
  const lines: string[] = [];
  const isStrong = wording?.isStrong ?? ((h: CodeHit | DbHit) => h.strength === 'strong');
  const strong = code.filter(isStrong).length + db.filter(isStrong).length;
  const total = code.length + db.length;
  if (total === 0) lines.push(wording ? `${wording.none} ${what} found.` : `No reader of ${what} found.`);
  else lines.push(`${wording?.label ?? 'Readers of'} ${what} (${strong} strong, ${total - strong} weak):`);
  lines.push(...listed(sortHits(code, isStrong), (h) => hitLine(h, isStrong(h))), ...listed(db, dbLine));
  const s = searchedLine(searched);
  if (s) lines.push(s);
  return lines;
}

function writerLines(what: string, code: readonly CodeHit[], db: readonly DbHit[], searched: SearchSummary): string[] {
  const lines: string[] = [];
  const col = what.slice(what.lastIndexOf('.') + 1);
  if (code.length + db.length === 0) lines.push(`No INSERT omitting ${col} found.`);
  else lines.push(`Writers that do not set ${col} (they fail once it is NOT NULL):`);
  lines.push(...listed(sortHits(code), hitLine), ...listed(db, dbLine));
  const s = searchedLine(searched);
  if (s) lines.push(s);
  return lines;
}

/** Append a note to a message and evidence lines to a help text. */
/**
 * A compatibility report shaped by the contract verdict: the release/readers note on the
 * message, the readers and what was searched in the help, the verdict's severity and evidence.
 */
export function contractReport(ctx: RuleContext, verdict: ContractVerdict, report: RuleReport): RuleReport {
  const r: RuleReport = { ...report, message: withNote(report.message, verdict.note), help: withLines(report.help, verdict.helpLines) };
  if (verdict.severity) r.severity = verdict.severity;
  if (ctx.compat && verdict.evidence) r.evidence = verdict.evidence;
  return r;
}

export function withNote(message: string, note: string): string {
  return note ? `${message} ${note}` : message;
}

export function withLines(help: string, lines: readonly string[]): string {
  return lines.length ? `${help}\n${lines.join('\n')}` : help;
}

/** The effects of a statement that a target list cares about, for lint/targets.ts. */
export function contractEffects(effects: StatementEffects): Effect[] {
  return effects.effects.filter((e) => CONTRACT_FACTS.has(e.fact.id) || (NARROWING_FACTS.has(e.fact.id) && e.typeChange?.narrowing));
}

/** Type changes that contract a column when they narrow it (column-type-narrowing). */
const NARROWING_FACTS = new Set(COLUMN_TYPE_CHANGE_FACTS);

export const CONTRACT_FACTS = new Set([
  'drop-column',
  'rename-column',
  'drop-table',
  'drop-table-with-foreign-keys',
  'rename-table',
  'add-column-not-null',
  'set-not-null',
  'set-not-null-proven',
  'add-not-null-constraint',
  'add-not-null-constraint-not-valid',
]);
