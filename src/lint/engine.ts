/**
 * The lint engine: replay files in order into the schema model, and run the
 * rules over every statement of the files the user asked to lint. Pure over its
 * inputs (source texts in, findings out): discovery and I/O happen in api.ts.
 */
import { compareText } from '../sql/text.js';
import { classifyStatement, type StatementEffects } from '../locks/classify.js';
import { strongest, type LockMode } from '../locks/modes.js';
import { TransactionTracker } from '../migrations/transaction.js';
import { SchemaModel, type Origin } from '../schema/model.js';
import { replayStatement } from '../schema/replay.js';
import { cloneModel, mergeModels, type SourceNote } from '../schema/sources/merge.js';
import type { Throughput } from '../locks/estimate.js';
import { estimateEffect, estimateRecord } from '../locks/estimate-effect.js';
import { columnRefs } from '../sql/ast.js';
import type { Directive } from '../sql/comments.js';
import { parseSqlFile } from '../sql/parse.js';
import type { ParsedFile, ParsedStatement } from '../sql/statement.js';
import { ReleaseTracker, type CompatContext, type CompatOptions } from './compat.js';
import { lockInfo, mainLock } from './rule-kit.js';
import {
  SEVERITY_RANK,
  type FileState,
  type Finding,
  type LintError,
  type LintResult,
  type Rule,
  type RuleContext,
  type RuleReport,
  type Severity,
  type SeveritySetting,
} from './types.js';

export interface SourceFile {
  /** Path as shown to the user (relative, forward slashes). */
  displayPath: string;
  text: string;
  /** 'lint': report findings; 'history': only feeds the model. */
  role: 'lint' | 'history';
  /**
   * How the runner executes the file: 'wrapped' in one transaction (framework default or
   * --assume-in-transaction), 'implicit' as one multi-statement query string (one implicit
   * transaction unless the file holds a single statement), or 'none' (autocommit).
   */
  transaction: 'wrapped' | 'implicit' | 'none';
  /** Why: the framework behaviour or the flag that decided `transaction`. */
  transactionWhy?: string;
}

export interface EngineOptions {
  pgVersion: number;
  rules: readonly Rule[];
  /** Effective severity per rule id (after defaults, config and CLI). */
  severities: ReadonlyMap<string, SeveritySetting>;
  /** lock_timeout the runner sets before each file (ms), from config. */
  baseLockTimeoutMs?: number;
  /**
   * The schema from sources other than migration files (the live database, a snapshot, a
   * pg_dump), merged already. The history files before the first linted file are merged
   * under it (it wins, disagreements become notes); the linted files are replayed on top.
   * Never mutated: each run works on a copy.
   */
  model?: SchemaModel;
  /** How notes name `model`'s source (default `the schema source`). */
  modelLabel?: string;
  /** Notes from loading the sources, passed through to the result. */
  sourceNotes?: readonly SourceNote[];
  /** Rates for the duration estimates on findings (config `estimates`; default: the calibrated ones). */
  throughput?: Throughput;
  /** Blocking findings on tables with known sizes below these become info (config severityBySize). */
  severityBySize?: { infoBelowRows?: number; infoBelowBytes?: number };
  /** Called with each parsed file, e.g. for the planner or --fix. */
  onFile?: (file: ParsedFile, source: SourceFile) => void;
  /** Evaluate the reports' fix builders into `Finding.fix` (--fix). */
  fix?: boolean;
  /**
   * Expand/contract evidence: `release` (history files are the released state, linted
   * files the pending release) and reader evidence gathered before the run. Reaches
   * rules as RuleContext.compat.
   */
  compat?: CompatOptions;
  /** Called with every statement's context (history files too) before the rules run; for first passes. */
  onStatement?: (ctx: RuleContext, source: SourceFile) => void;
  /** Parsed files by source, reused across passes over the same sources. */
  parseCache?: WeakMap<SourceFile, ParsedFile>;
  /**
   * Results already known per file (the --cache, see cache.ts), by index in `sources`. A file
   * with a result runs no rules; it is parsed and replayed only when a later file without one
   * needs the model it leaves. `store` receives the result of every file that ran.
   */
  known?: { get(fileIndex: number): FileResult | undefined; store(fileIndex: number, result: FileResult): void };
}

/** One file's share of a lint result: what the --cache keeps. */
export interface FileResult {
  findings: Finding[];
  errors: LintError[];
  statements: number;
}

export function lintSources(sources: readonly SourceFile[], opts: EngineOptions): LintResult {
  const notes: SourceNote[] = [...(opts.sourceNotes ?? [])];
  // History before the first linted file is replayed on its own, then merged under the external schema.
  let mergePending = Boolean(opts.model) && sources[0]?.role === 'history';
  let model = opts.model && !mergePending ? cloneModel(opts.model) : new SchemaModel();
  const findings: Finding[] = [];
  const errors: LintError[] = [];
  const knownRules = new Set(opts.rules.map((r) => r.meta.id));
  const lastLint = sources.map((s) => s.role).lastIndexOf('lint');
  let statements = 0;
  const tracker = opts.compat?.release ? new ReleaseTracker(opts.compat.release) : null;
  const compat: CompatContext | null = opts.compat && (opts.compat.release || opts.compat.readers || opts.compat.severity) ? { release: tracker?.state ?? null, readers: opts.compat.readers ?? null, severity: opts.compat.severity ?? null } : null;

  // The last file without a known result: every file before it is replayed for its model.
  let lastUnknown = -1;
  if (opts.known) for (let i = 0; i <= lastLint; i++) if (!opts.known.get(i)) lastUnknown = i;

  for (let fileIndex = 0; fileIndex <= lastLint; fileIndex++) {
    const source = sources[fileIndex]!;
    const known = opts.known?.get(fileIndex);
    if (known) {
      findings.push(...known.findings);
      errors.push(...known.errors);
      statements += known.statements;
      if (fileIndex > lastUnknown) continue;
    }
    const findingsBefore = findings.length;
    const errorsBefore = errors.length;
    const statementsBefore = statements;
    if (mergePending && source.role === 'lint') {
      model = mergeModels([{ model: opts.model!, label: opts.modelLabel ?? 'the schema source' }, { model, label: 'the history files' }], notes);
      mergePending = false;
    }
    let parsed = opts.parseCache?.get(source);
    if (!parsed) {
      parsed = parseSqlFile(source.displayPath, source.text);
      opts.parseCache?.set(source, parsed);
    }
    opts.onFile?.(parsed, source);
    if (parsed.error) {
      if (known) continue;
      if (source.role === 'lint') errors.push({ file: source.displayPath, ...parsed.error });
      else errors.push({ file: source.displayPath, ...parsed.error, message: `${parsed.error.message} (history file: later files are linted without its changes)` });
      opts.known?.store(fileIndex, { findings: findings.slice(findingsBefore), errors: errors.slice(errorsBefore), statements: 0 });
      continue;
    }
    // A file with a known result is only replayed: its findings and errors are in already.
    const lint = source.role === 'lint' && !known;
    if (!known) statements += parsed.statements.length;
    if (lint) errors.push(...unknownRuleErrors(parsed, knownRules));
    const fileIgnores = new Set(parsed.directives.flatMap((d) => (d.kind === 'ignore-file' ? d.rules : [])));
    const fileIgnoresAll = parsed.directives.some((d) => d.kind === 'ignore-file' && d.rules.length === 0);
    const active = lint
      ? opts.rules.filter((r) => (opts.severities.get(r.meta.id) ?? r.meta.defaultSeverity) !== 'off' && !fileIgnores.has(r.meta.id) && !fileIgnoresAll)
      : [];
    const topLevel = parsed.statements.filter((s) => s.inDoBlock === null).length;
    const inTx = source.transaction === 'wrapped' || (source.transaction === 'implicit' && topLevel > 1);
    const walker = new FileWalker(model, fileIndex, source, opts, inTx, compat, tracker);
    const fixFile = opts.fix && lint ? { text: parsed.text, statements: parsed.statements, comments: parsed.comments, transaction: source.transaction } : null;
    // The loop below runs (statements x rules) times, unoptimised under lint's --no-opt: what does
    // not change per statement is looked up once per file, and no iterator or closure is made per rule.
    const activeSeverity = active.map((r) => (opts.severities.get(r.meta.id) ?? r.meta.defaultSeverity) as Severity);
    const activeOnce = active.map((r) => r.meta.once === 'transaction');
    for (const stmt of parsed.statements) {
      const { effects, ctx } = walker.before(stmt);
      opts.onStatement?.(ctx, source);
      const directives = stmt.directives.length > 0 ? stmt.directives : null;
      for (let r = 0; r < active.length; r++) {
        const rule = active[r]!;
        if (directives && isIgnored(directives, rule.meta.id)) continue;
        if (activeOnce[r] && ctx.tx.inTransaction && walker.reportedInTx.has(rule.meta.id)) continue;
        const reports = rule.check(ctx);
        if (reports.length === 0) continue;
        if (ctx.tx.inTransaction) walker.reportedInTx.add(rule.meta.id);
        const severity = activeSeverity[r]!;
        for (let k = 0; k < reports.length; k++) {
          const report = reports[k]!;
          const finding = toFinding(source.displayPath, stmt, rule, severity, report, effects, model, opts);
          // Fix builders read the model as the rule saw it: evaluate them before the replay.
          const fix = fixFile && report.fix ? report.fix(fixFile) : null;
          if (fix && fix.edits.length > 0) finding.fix = fix;
          findings.push(finding);
        }
      }
      walker.after(stmt, effects);
    }
    walker.finish();
    if (!known) opts.known?.store(fileIndex, { findings: findings.slice(findingsBefore), errors: errors.slice(errorsBefore), statements: statements - statementsBefore });
  }

  findings.sort((a, b) => compareText(a.file, b.file) || a.line - b.line || a.column - b.column || compareText(a.rule, b.rule));
  const bySeverity: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) bySeverity[f.severity]++;
  return {
    version: 1,
    findings,
    errors,
    ...(notes.length ? { notes: notes.map((n) => ({ message: n.message })) } : {}),
    summary: {
      files: sources.filter((s) => s.role === 'lint').length,
      historyFiles: sources.filter((s) => s.role === 'history').length,
      statements,
      findings: findings.length,
      errors: errors.length,
      bySeverity,
      pgVersion: opts.pgVersion,
      ...(opts.compat?.readers ? { readers: opts.compat.readers.searched } : {}),
      ...(opts.compat?.release ? { base: opts.compat.release.base } : {}),
    },
  };
}

function isIgnored(directives: readonly Directive[], ruleId: string): boolean {
  return directives.some((d) => d.kind === 'ignore' && (d.rules.length === 0 || d.rules.includes(ruleId)));
}

function unknownRuleErrors(parsed: ParsedFile, known: ReadonlySet<string>): LintError[] {
  const out: LintError[] = [];
  const seen = new Set<string>();
  const all = [...parsed.directives, ...parsed.statements.flatMap((s) => (s.inDoBlock === null ? s.directives : []))];
  for (const d of all) {
    if (d.kind !== 'ignore' && d.kind !== 'ignore-file') continue;
    for (const id of d.rules) {
      const key = `${d.span.start.offset}:${id}`;
      if (known.has(id) || seen.has(key)) continue;
      seen.add(key);
      out.push({ file: parsed.path, line: d.span.start.line, column: d.span.start.column, message: `unknown rule id "${id}" in ddlguard-${d.kind} comment (see \`ddlguard rules\`)` });
    }
  }
  return out;
}

function toFinding(file: string, stmt: ParsedStatement, rule: Rule, severity: Severity, r: RuleReport, effects: StatementEffects, model: SchemaModel, opts: EngineOptions): Finding {
  const span = r.span ?? stmt.span;
  const f: Finding = {
    file,
    line: span.start.line,
    column: span.start.column,
    endLine: span.end.line,
    endColumn: span.end.column,
    rule: rule.meta.id,
    severity: r.severity ?? severity,
    message: r.message,
    help: r.help,
  };
  const lock = r.effect ? mainLock(r.effect) : strongestPreExistingLock(effects);
  if (lock) f.lock = lockInfo(lock);
  const sized = lock ? sizeOf(model, lock.relation.key) : null;
  if (sized) {
    f.size = sized;
    // The work the report is about, else the statement's effect on the locked table.
    const effect = r.effect ?? effects.effects.find((e) => (e.rewrite || e.scan) && e.table?.key === lock!.relation.key);
    const est = effect && (effect.rewrite || effect.scan) ? estimateEffect(effect, model, opts.pgVersion, opts.throughput) : null;
    if (est) f.estimate = estimateRecord(est);
    const small = opts.severityBySize;
    if (small && rule.meta.category === 'blocking' && r.severity === undefined && isBelow(sized, small)) {
      f.severity = 'info';
      f.help = `${f.help} (reported as info: ${lock!.relation.display} is below severityBySize)`;
    }
  }
  if (r.suggestion) f.suggestion = r.suggestion;
  if (r.evidence) f.evidence = r.evidence;
  return f;
}

/** The table's rows and bytes when a source knows them. */
function sizeOf(model: SchemaModel, key: string): Finding['size'] | null {
  const size = model.relations.get(key)?.size;
  return size ? { rows: size.rows, bytes: size.totalBytes } : null;
}

function isBelow(size: NonNullable<Finding['size']>, t: NonNullable<EngineOptions['severityBySize']>): boolean {
  if (t.infoBelowRows === undefined && t.infoBelowBytes === undefined) return false;
  if (t.infoBelowRows !== undefined && (size.rows === null || size.rows >= t.infoBelowRows)) return false;
  if (t.infoBelowBytes !== undefined && size.bytes >= t.infoBelowBytes) return false;
  return true;
}

function strongestPreExistingLock(effects: StatementEffects) {
  const pre = effects.locks.filter((l) => l.relation.preExisting);
  const mode = strongest(pre.map((l) => l.mode));
  return pre.find((l) => l.mode === mode) ?? null;
}

/** Walks one file's statements, keeping the transaction and file state rules read. */
class FileWalker {
  private readonly tx: TransactionTracker;
  private readonly columnsAdded = new Map<string, Set<string>>();
  private readonly backfills: Array<{ table: string; set: string[]; read: string[] }> = [];
  private notValidInTx = new Set<string>();
  private heldLocks = new Map<string, { mode: LockMode; display: string; preExisting: boolean }>();
  /** Rules (with meta.once = 'transaction') that already reported in the current transaction. */
  reportedInTx = new Set<string>();
  private serial: number;
  /** While inside a DO block's statements: the DO statement's index. */
  private doBlock: number | null = null;
  private pendingDo: ParsedStatement | null = null;

  constructor(
    private readonly model: SchemaModel,
    private readonly fileIndex: number,
    private readonly source: SourceFile,
    private readonly opts: EngineOptions,
    assumeInTransaction: boolean,
    private readonly compat: CompatContext | null = null,
    private readonly tracker: ReleaseTracker | null = null,
  ) {
    const txOpts = opts.baseLockTimeoutMs === undefined ? { assumeInTransaction } : { assumeInTransaction, baseLockTimeoutMs: opts.baseLockTimeoutMs };
    this.tx = new TransactionTracker(txOpts);
    this.serial = this.tx.snapshot().serial;
  }

  before(stmt: ParsedStatement): { effects: StatementEffects; ctx: RuleContext } {
    // A DO block ends when a statement that is not part of it arrives.
    if (this.pendingDo && stmt.inDoBlock !== this.pendingDo.index) this.closeDo();
    const effects = classifyStatement(stmt, { model: this.model, pgVersion: this.opts.pgVersion, fileIndex: this.fileIndex });
    const snap = this.tx.snapshot();
    // Statements of a DO block run in one transaction, whatever the surrounding context.
    const tx = stmt.inDoBlock !== null ? { ...snap, inTransaction: true } : snap;
    const fileState: FileState = {
      columnsAdded: this.columnsAdded,
      backfills: this.backfills,
      notValidInTx: this.notValidInTx,
      heldLocks: this.heldLocks,
    };
    const ctx: RuleContext = { file: this.source.displayPath, stmt, effects, model: this.model, tx, pgVersion: this.opts.pgVersion, fileState };
    if (this.compat) ctx.compat = this.compat;
    return { effects, ctx };
  }

  after(stmt: ParsedStatement, effects: StatementEffects): void {
    const inTx = stmt.inDoBlock !== null || this.tx.snapshot().inTransaction;
    for (const e of effects.effects) {
      if (e.column && e.table && e.fact.id.startsWith('add-column')) {
        let set = this.columnsAdded.get(e.table.key);
        if (!set) this.columnsAdded.set(e.table.key, (set = new Set()));
        set.add(e.column);
      }
      if (inTx && e.constraint && e.table && e.fact.id.endsWith('-not-valid')) this.notValidInTx.add(`${e.table.key}/${e.constraint}`);
    }
    if (inTx) {
      for (const l of effects.locks) {
        const prev = this.heldLocks.get(l.relation.key);
        const mode = prev ? strongest([prev.mode, l.mode])! : l.mode;
        this.heldLocks.set(l.relation.key, { mode, display: l.relation.display, preExisting: l.relation.preExisting });
      }
    }
    if (stmt.kind === 'UpdateStmt') {
      const table = effects.effects[0]?.table?.key;
      if (table) {
        const set: string[] = [];
        const read: string[] = [];
        for (const t of stmt.node.targetList ?? []) {
          const rt = t?.ResTarget;
          if (rt?.name) set.push(String(rt.name));
          read.push(...columnRefs(rt?.val));
        }
        this.backfills.push({ table, set, read });
      }
    }
    this.tracker?.observe(stmt, effects, this.model, this.source.displayPath, this.source.role);
    const origin: Origin = { fileIndex: this.fileIndex, file: this.source.displayPath, statement: stmt.index, txSerial: this.serial };
    replayStatement(this.model, stmt, origin);
    if (stmt.kind === 'DoStmt') {
      this.pendingDo = stmt;
      return;
    }
    if (stmt.inDoBlock !== null) {
      // SET / set_config inside a DO block change the session like their top-level forms.
      this.tx.applySettings(stmt);
      return;
    }
    this.advance(stmt);
  }

  private closeDo(): void {
    const d = this.pendingDo;
    this.pendingDo = null;
    if (d) this.advance(d);
  }

  private advance(stmt: ParsedStatement): void {
    this.tx.advance(stmt);
    const serial = this.tx.snapshot().serial;
    if (serial !== this.serial) {
      this.serial = serial;
      this.heldLocks = new Map();
      this.reportedInTx = new Set();
      this.notValidInTx = new Set();
    }
  }

  finish(): void {
    this.closeDo();
  }
}


export function meetsThreshold(severity: Severity, threshold: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold];
}
