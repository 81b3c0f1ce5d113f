/**
 * `ddlguard lint --fix`: mechanical rewrites that rules attach to their reports.
 *
 * A rule report may carry a `fix` builder: a pure function of the rule context (closed
 * over) and the whole linted file (`FixFile`) that returns text edits, or null when the
 * rewrite would change what the migration means. The engine calls the builders only in
 * fix mode, right after the rule ran (the schema model is still the one the rule saw).
 *
 * This module holds what builders share (statement tokens, re-parse verification of a
 * rewrite, where a statement can run outside a transaction block, moving a statement
 * after its block's COMMIT) and the driver: lint, apply non-overlapping edits, re-lint,
 * up to `maxPasses` times (like ESLint's multi-pass fixing).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { functionCalls } from '../sql/ast.js';
import { parseDirective, type Comment } from '../sql/comments.js';
import { parseRaw, scanRaw } from '../sql/parser.js';
import { SourceText } from '../sql/source.js';
import type { ParsedStatement } from '../sql/statement.js';
import { detectFramework } from '../migrations/framework.js';
import { upSection } from '../migrations/sections.js';
import { engineOptionsFor, prepareSources, withSchemaSources, type LintOptions } from './api.js';
import { lintSources, type EngineOptions, type SourceFile } from './engine.js';
import type { Finding, LintResult, RuleContext, SeveritySetting } from './types.js';

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/** Replace `[start, end)` (0-based string offsets into the linted file's text) with `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** The edits of one fix; applied all together or not at all. */
export interface Fix {
  edits: TextEdit[];
}

/** What a fix builder sees of the file besides its rule context. */
export interface FixFile {
  /** The linted text (for dbmate: the up section, same length as the file). */
  text: string;
  statements: readonly ParsedStatement[];
  comments: readonly Comment[];
  /** How the runner executes the file (see SourceFile.transaction). */
  transaction: 'wrapped' | 'implicit' | 'none';
}

export type FixBuilder = (file: FixFile) => Fix | null;

// ---------------------------------------------------------------------------
// Helpers for fix builders
// ---------------------------------------------------------------------------

export interface Token {
  /** String offsets into the file. */
  start: number;
  end: number;
  text: string;
  /** Upper-cased text, for keyword comparisons. */
  upper: string;
  keyword: boolean;
}

/** Top-level statements (not the ones found inside DO blocks). */
export function topLevel(file: FixFile): ParsedStatement[] {
  return file.statements.filter((s) => s.inDoBlock === null);
}

/** The statement's text sits at its span in the file (false for DO-block statements found by search). */
function anchored(file: FixFile, stmt: ParsedStatement): boolean {
  return stmt.inDoBlock === null && file.text.slice(stmt.span.start.offset, stmt.span.end.offset) === stmt.text;
}

/** The statement's tokens without comments, with string offsets into the file. */
export function statementTokens(file: FixFile, stmt: ParsedStatement): Token[] | null {
  if (!anchored(file, stmt)) return null;
  let raw;
  try {
    raw = scanRaw(stmt.text);
  } catch {
    return null;
  }
  const src = new SourceText(stmt.text);
  const base = stmt.span.start.offset;
  return raw
    .filter((t) => t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT')
    .map((t) => {
      const start = src.indexOfByte(t.start);
      const end = src.indexOfByte(t.end);
      const text = stmt.text.slice(start, end);
      return { start: base + start, end: base + end, text, upper: text.toUpperCase(), keyword: t.keywordKind > 0 };
    });
}

/** Parse one statement; null unless it is exactly one statement. */
export function parseOne(sql: string): { kind: string; node: any } | null {
  try {
    const r = parseRaw(sql);
    if (r.stmts.length !== 1) return null;
    const stmt = r.stmts[0]!.stmt;
    const kind = Object.keys(stmt)[0];
    return kind ? { kind, node: stmt[kind] } : null;
  } catch {
    return null;
  }
}

/** Deep equality of two parse trees, ignoring source locations. */
export function sameTree(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameTree(x, b[i]));
  }
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a).filter((k) => k !== 'location' && (a as any)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => k !== 'location' && (b as any)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameTree((a as any)[k], (b as any)[k]));
}

/** A deep copy of a parse tree, to build the tree a rewrite must parse to. */
export function cloneTree<T>(node: T): T {
  return structuredClone(node);
}

export interface Insertion {
  /** String offset into the file, inside the statement. */
  at: number;
  text: string;
}

/** The statement's text with insertions applied (offsets are file offsets). */
export function rewriteText(stmt: ParsedStatement, inserts: readonly Insertion[]): string {
  const base = stmt.span.start.offset;
  let out = stmt.text;
  for (const ins of [...inserts].sort((a, b) => b.at - a.at)) out = out.slice(0, ins.at - base) + ins.text + out.slice(ins.at - base);
  return out;
}

/**
 * Check a rewrite by parsing it: the result must be one statement of the same kind whose
 * tree `accept`s (typically: equal to the original tree with one field changed). This is
 * what makes the fixes safe: a rewrite that means anything else is never offered.
 */
export function verifyRewrite(stmt: ParsedStatement, inserts: readonly Insertion[], accept: (node: any) => boolean): string | null {
  const text = rewriteText(stmt, inserts);
  const parsed = parseOne(text);
  if (!parsed || parsed.kind !== stmt.kind || !accept(parsed.node)) return null;
  return text;
}

/**
 * Insert `text` after the first of the candidate tokens where the rewritten statement
 * parses to what `accept` wants. Returns the insertion, or null.
 */
export function findInsertion(
  file: FixFile,
  stmt: ParsedStatement,
  text: string,
  accept: (node: any) => boolean,
  candidate: (t: Token, i: number, all: Token[]) => boolean = () => true,
): Insertion | null {
  const tokens = statementTokens(file, stmt);
  if (!tokens) return null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!candidate(t, i, tokens)) continue;
    const ins = { at: t.end, text };
    if (verifyRewrite(stmt, [ins], accept) !== null) return ins;
  }
  return null;
}

/** Offset of the `;` ending the statement (after trailing whitespace/comments), or null. */
export function terminator(file: FixFile, stmt: ParsedStatement): number | null {
  let i = skipTrivia(file, stmt.span.end.offset, false);
  return file.text[i] === ';' ? i : null;
}

/** Skip whitespace and comments from `i`; with `sameLine`, stop at the end of the line. */
function skipTrivia(file: FixFile, from: number, sameLine: boolean): number {
  const text = file.text;
  let i = from;
  for (;;) {
    while (i < text.length && (sameLine ? text[i] === ' ' || text[i] === '\t' : /\s/.test(text[i]!))) i++;
    const c = file.comments.find((c) => c.span.start.offset === i);
    if (!c) return i;
    i = c.span.end.offset;
  }
}

/**
 * The offset of the line break ending the line `pos` is on, if only whitespace and
 * comments follow `pos` on it (else null). At the end of the text: the text length.
 */
export function lineEndAfter(file: FixFile, pos: number): number | null {
  const i = skipTrivia(file, pos, true);
  if (i >= file.text.length) return file.text.length;
  if (file.text[i] === '\n') return i;
  if (file.text.startsWith('\r\n', i)) return i;
  return null;
}

/** The file's line break style. */
export function eol(file: FixFile): string {
  return file.text.includes('\r\n') ? '\r\n' : '\n';
}

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

/** Where a statement that must not run inside a transaction block can be made to run. */
export type Placement =
  /** It already runs outside any transaction block. */
  | { kind: 'autocommit' }
  /** It is inside an explicit BEGIN ... COMMIT of a file run in autocommit mode. */
  | { kind: 'block'; begin: ParsedStatement; commit: ParsedStatement; later: ParsedStatement[] };

/**
 * Decide where the statement of `ctx` could run outside a transaction block, or null
 * when it cannot (framework-wrapped file, multi-statement query string, DO block,
 * a block that does not end in a plain COMMIT).
 */
export function placement(ctx: RuleContext, file: FixFile): Placement | null {
  const stmt = ctx.stmt;
  if (stmt.inDoBlock !== null || !anchored(file, stmt)) return null;
  if (file.transaction === 'wrapped') return null;
  const top = topLevel(file);
  // A multi-statement query string is one implicit transaction, COMMIT or not.
  if (file.transaction === 'implicit' && top.length > 1) return null;
  if (!ctx.tx.inTransaction) return { kind: 'autocommit' };
  if (!ctx.tx.explicit || file.transaction !== 'none') return null;
  const i = top.indexOf(stmt);
  if (i < 0) return null;
  let begin: ParsedStatement | null = null;
  for (let j = i - 1; j >= 0; j--) {
    const s = top[j]!;
    if (s.kind !== 'TransactionStmt') continue;
    if (s.node.kind === 'TRANS_STMT_BEGIN' || s.node.kind === 'TRANS_STMT_START') {
      begin = s;
      break;
    }
    // A savepoint before the statement only matters if rolled back to later: the scan below rejects that.
    if (isSavepointKind(s.node.kind)) continue;
    return null;
  }
  if (!begin) return null;
  const later: ParsedStatement[] = [];
  for (let j = i + 1; j < top.length; j++) {
    const s = top[j]!;
    if (s.kind === 'TransactionStmt') {
      if (s.node.kind === 'TRANS_STMT_COMMIT' && !s.node.chain) return { kind: 'block', begin, commit: s, later };
      return null;
    }
    later.push(s);
  }
  return null;
}

function isSavepointKind(kind: string): boolean {
  return kind === 'TRANS_STMT_SAVEPOINT' || kind === 'TRANS_STMT_RELEASE' || kind === 'TRANS_STMT_ROLLBACK_TO';
}

/** Statements that run code we cannot see (triggers, functions, procedures): anything may depend on anything. */
const RUNS_CODE = new Set(['DoStmt', 'CallStmt', 'ExecuteStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'CopyStmt', 'TruncateStmt']);
/** Built-in functions that touch no table. */
const SAFE_FUNCTIONS = new Set(['now', 'clock_timestamp', 'statement_timestamp', 'transaction_timestamp', 'gen_random_uuid', 'nextval', 'lower', 'upper', 'length', 'char_length', 'btrim', 'trim']);

/**
 * True when none of `later` (the statements after ours inside its block) can depend on
 * ours running before them: none mentions one of `names` (or a word starting with one of
 * `prefixes`, for generated names), and none runs code the linter cannot see.
 * Deliberately conservative: a match anywhere in the text (even a comment) counts.
 */
export function independentOf(later: readonly ParsedStatement[], names: readonly string[], prefixes: readonly string[] = []): boolean {
  const want = names.filter(Boolean).map((n) => n.toLowerCase());
  const pre = prefixes.filter(Boolean).map((p) => p.toLowerCase());
  for (const s of later) {
    if (RUNS_CODE.has(s.kind)) return false;
    if (functionCalls(s.node).some((f) => !SAFE_FUNCTIONS.has(f))) return false;
    for (const m of s.text.matchAll(/"((?:[^"]|"")*)"|[A-Za-z0-9_$\u0080-\uffff]+/g)) {
      const word = (m[1] !== undefined ? m[1].replace(/""/g, '"') : m[0]).toLowerCase();
      if (want.includes(word) || pre.some((p) => word.startsWith(p))) return false;
    }
  }
  return true;
}

/**
 * Edits that move `stmt` (with its leading comments and trailing same-line comment), its
 * text replaced by `newText`, to the line after `commit`. Null when the statement does not
 * sit on lines of its own, or something follows the COMMIT on its line.
 */
export function moveAfter(file: FixFile, stmt: ParsedStatement, commit: ParsedStatement, newText: string): TextEdit[] | null {
  const text = file.text;
  const leading = stmt.comments.filter((c) => c.span.start.offset < stmt.span.start.offset).map((c) => c.span.start.offset);
  const first = Math.min(stmt.span.start.offset, ...leading);
  const from = lineStart(text, first);
  if (!/^[ \t]*$/.test(text.slice(from, first))) return null;
  const term = terminator(file, stmt);
  if (term === null) return null;
  const end = lineEndAfter(file, term + 1);
  if (end === null || end >= text.length) return null;
  const delEnd = end + (text.startsWith('\r\n', end) ? 2 : 1);
  const cterm = terminator(file, commit);
  if (cterm === null) return null;
  const cend = lineEndAfter(file, cterm + 1);
  if (cend === null || cend < delEnd) return null;
  const chunk = text.slice(from, stmt.span.start.offset) + newText + text.slice(stmt.span.end.offset, end);
  return [
    { start: from, end: delEnd, text: '' },
    { start: cend, end: cend, text: eol(file) + chunk },
  ];
}

/**
 * The fix for a statement that must run outside a transaction block (CONCURRENTLY):
 * apply `inserts` in place when it already does; move the rewritten statement after its
 * block's COMMIT when it is in an explicit block and nothing later in the block can
 * depend on it (`names`/`prefixes`, see independentOf); otherwise null.
 */
export function outsideTransactionFix(
  ctx: RuleContext,
  file: FixFile,
  inserts: readonly Insertion[],
  accept: (node: any) => boolean,
  deps: { names: string[]; prefixes?: string[] },
): Fix | null {
  const where = placement(ctx, file);
  if (!where) return null;
  const newText = verifyRewrite(ctx.stmt, inserts, accept);
  if (newText === null) return null;
  if (where.kind === 'autocommit') return { edits: inserts.map((i) => ({ start: i.at, end: i.at, text: i.text })) };
  if (!independentOf(where.later, deps.names, deps.prefixes)) return null;
  const edits = moveAfter(file, ctx.stmt, where.commit, newText);
  return edits ? { edits } : null;
}

/** The last token's end: where a trailing clause (NOT VALID, CONCURRENTLY) goes. */
export function lastTokenEnd(file: FixFile, stmt: ParsedStatement): number | null {
  const tokens = statementTokens(file, stmt);
  const last = tokens?.[tokens.length - 1];
  return last ? last.end : null;
}

/** Where a header statement goes: after the leading comments, before the first statement-level directive. */
export function headerOffset(file: FixFile): number | null {
  const first = topLevel(file)[0];
  if (!first) return null;
  let at = first.span.start.offset;
  for (const c of file.comments) {
    if (c.span.start.offset >= at) break;
    const d = parseDirective(c);
    if (d && d.kind !== 'ignore-file') {
      at = c.span.start.offset;
      break;
    }
  }
  // Start of that line, unless code precedes it there; never before a byte order mark.
  const ls = Math.max(lineStart(file.text, at), file.text.charCodeAt(0) === 0xfeff ? 1 : 0);
  return /^\s*$/.test(file.text.slice(ls, at)) ? ls : at;
}

// ---------------------------------------------------------------------------
// Applying fixes
// ---------------------------------------------------------------------------

export interface FixCandidate {
  rule: string;
  fix: Fix;
}

export interface PlacedEdit extends TextEdit {
  rule: string;
  order: number;
}

function sameEdit(a: TextEdit, b: TextEdit): boolean {
  return a.start === b.start && a.end === b.end && a.text === b.text;
}

function conflicts(a: PlacedEdit, b: TextEdit, rule: string): boolean {
  if (a.start === a.end && b.start === b.end) return a.start === b.start && a.rule !== rule;
  if (Math.max(a.start, b.start) < Math.min(a.end, b.end)) return true;
  // An insertion strictly inside a replaced range.
  if (b.start === b.end && a.start < b.start && b.start < a.end) return true;
  if (a.start === a.end && b.start < a.start && a.start < b.end) return true;
  return false;
}

/**
 * Choose fixes in order: a fix whose edits overlap an already chosen edit is skipped
 * (a later pass picks it up); identical edits (a once-per-file header every finding
 * proposes) are applied once. Insertions at the same point conflict unless they come
 * from the same rule, which then keeps their order (two statements moved after one COMMIT).
 */
export function selectFixes<C extends FixCandidate>(candidates: readonly C[]): { chosen: C[]; edits: PlacedEdit[] } {
  const edits: PlacedEdit[] = [];
  const chosen: C[] = [];
  for (const c of candidates) {
    const fresh = c.fix.edits.filter((e) => !edits.some((a) => sameEdit(a, e)));
    if (fresh.some((e) => edits.some((a) => conflicts(a, e, c.rule)))) continue;
    // The fix's own edits must not overlap each other (insertions at one point keep their order).
    const own = fresh.map((e) => ({ ...e, rule: c.rule, order: 0 }));
    if (own.some((e, i) => own.some((f, j) => j > i && conflicts(e, f, c.rule)))) continue;
    chosen.push(c);
    for (const e of own) edits.push({ ...e, order: edits.length });
  }
  return { chosen, edits };
}

/**
 * Apply non-overlapping edits, from the end of the text backwards (so earlier offsets stay
 * valid). Insertions at one point end up in their `order`.
 */
export function applyEdits(text: string, edits: readonly PlacedEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end || b.order - a.order);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

// ---------------------------------------------------------------------------
// The driver
// ---------------------------------------------------------------------------

/** A linted file the driver may rewrite. */
export interface FixTarget {
  /** The file's full text (what gets rewritten). */
  text: string;
  /** The text the engine lints, from the full text (dbmate: the up section; offsets are kept). */
  body(full: string): string;
}

export interface FixRun {
  /** displayPath -> full text after fixing (every target, changed or not). */
  texts: Map<string, string>;
  /** displayPath -> findings fixed. */
  fixed: Map<string, number>;
  /** Lint result of the fixed texts (what is left to do by hand). */
  result: LintResult;
  passes: number;
}

/**
 * Whether a rewrite of `file` made it worse (the test --fix keeps or drops fixes by): it no
 * longer parses, or a rule other than a hygiene one reports more findings in it than before.
 */
export function fixMadeWorse(before: LintResult, after: LintResult, file: string, rules: EngineOptions['rules']): boolean {
  if (after.errors.some((e) => e.file === file) && !before.errors.some((e) => e.file === file)) return true;
  const hygiene = new Set(rules.filter((r) => r.meta.category === 'hygiene').map((r) => r.meta.id));
  const count = (r: LintResult) => {
    const m = new Map<string, number>();
    for (const f of r.findings) if (f.file === file && !hygiene.has(f.rule)) m.set(f.rule, (m.get(f.rule) ?? 0) + 1);
    return m;
  };
  const b = count(before);
  for (const [rule, n] of count(after)) if (n > (b.get(rule) ?? 0)) return true;
  return false;
}

/**
 * Lint, apply the fixes the findings carry, re-lint, and repeat until nothing is left to
 * fix (at most `maxPasses` rounds). Pure: texts in, texts out. Lint-role sources are
 * targets (full text = source text) unless `targets` says otherwise.
 *
 * A round whose result makes a file worse (no longer parses, or a non-hygiene rule
 * reports more than before) is not kept for that file: its fixes are then tried one
 * at a time, and one that makes things worse on its own is dropped for good.
 */
export function fixSources(sources: readonly SourceFile[], engine: EngineOptions, targets?: ReadonlyMap<string, FixTarget>, maxPasses = 10): FixRun {
  const tracked = new Map<string, { current: string; body(full: string): string; fixed: number }>();
  for (const s of sources) {
    if (s.role !== 'lint') continue;
    const t = targets ? targets.get(s.displayPath) : { text: s.text, body: (full: string) => full };
    if (t) tracked.set(s.displayPath, { current: t.text, body: t.body, fixed: 0 });
  }
  const withTexts = (override?: ReadonlyMap<string, string>): SourceFile[] =>
    sources.map((s) => {
      const t = tracked.get(s.displayPath);
      return t ? { ...s, text: t.body(override?.get(s.displayPath) ?? t.current) } : s;
    });
  const worse = (before: LintResult, after: LintResult, file: string): boolean => fixMadeWorse(before, after, file, engine.rules);
  // Identifies a fix across rounds: offsets move, but not the lines it edits nor what it writes.
  const keyOf = (f: Finding, body: string) => {
    const edits = f.fix!.edits.map((e) => {
      const end = body.indexOf('\n', e.end);
      return `${body.slice(lineStart(body, e.start), end < 0 ? body.length : end)}\u0001${e.start - lineStart(body, e.start)}\u0001${e.end - e.start}\u0001${e.text}`;
    });
    return `${f.rule}\u0000${f.message}\u0000${edits.join('\u0002')}`;
  };
  const rejected = new Set<string>();
  const fixMode = { ...engine, fix: true };

  let passes = 0;
  let res = lintSources(withTexts(), fixMode);
  while (passes < maxPasses) {
    const byFile = new Map<string, Finding[]>();
    for (const f of res.findings) {
      const t = tracked.get(f.file);
      if (!f.fix || !t || rejected.has(keyOf(f, t.body(t.current)))) continue;
      byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
    }
    if (byFile.size === 0) break;
    passes++;
    const proposed = new Map<string, { text: string; chosen: Finding[] }>();
    for (const [file, findings] of byFile) {
      const { chosen, edits } = selectFixes(findings.map((f) => ({ rule: f.rule, fix: f.fix!, finding: f })));
      proposed.set(file, { text: applyEdits(tracked.get(file)!.current, edits), chosen: chosen.map((c) => c.finding) });
    }
    let next = lintSources(withTexts(new Map([...proposed].map(([k, v]) => [k, v.text]))), fixMode);
    let fellBack = false;
    for (const [file, p] of proposed) {
      const t = tracked.get(file)!;
      if (!worse(res, next, file)) {
        t.current = p.text;
        t.fixed += p.chosen.length;
        continue;
      }
      fellBack = true;
      const body = t.body(t.current);
      for (const f of p.chosen) {
        const one = applyEdits(t.current, selectFixes([{ rule: f.rule, fix: f.fix! }]).edits);
        if (!worse(res, lintSources(withTexts(new Map([[file, one]])), engine), file)) {
          t.current = one;
          t.fixed += 1;
          break;
        }
        rejected.add(keyOf(f, body));
      }
    }
    if (fellBack) next = lintSources(withTexts(), fixMode);
    res = next;
  }

  const result = lintSources(withTexts(), engine);
  return {
    texts: new Map([...tracked].map(([k, t]) => [k, t.current])),
    fixed: new Map([...tracked].map(([k, t]) => [k, t.fixed])),
    result,
    passes,
  };
}

export interface FixOptions extends LintOptions {
  /** Lint + fix rounds (default 10). */
  maxPasses?: number;
}

export interface FixedFile {
  displayPath: string;
  /** Absolute path to write; null for stdin. */
  path: string | null;
  before: string;
  after: string;
  /** Findings fixed in this file. */
  fixed: number;
}

export interface FixOutcome {
  /** Lint result of the fixed texts (what is left to do by hand). */
  result: LintResult;
  /** Files whose text changed. */
  files: FixedFile[];
  /** displayPath -> linted text after fixing (for reporters' code frames). */
  sources: Map<string, string>;
  fixed: number;
  passes: number;
}

/**
 * Discover and read the files as lint() does, then fixSources() them. Nothing is written:
 * the caller writes `files` (--fix) or prints their diff (--fix-dry-run).
 */
export async function fixMigrations(opts: FixOptions): Promise<FixOutcome> {
  const cwd = opts.cwd ?? process.cwd();
  const { sources, readErrors } = await prepareSources(opts); // loads the parser too
  const engine = engineOptionsFor(opts);
  await withSchemaSources(opts, engine);
  const stdinDisplay = opts.stdin ? (opts.stdin.filepath ?? 'stdin.sql').split(path.sep).join('/') : null;

  const targets = new Map<string, FixTarget & { path: string | null; bom: string }>();
  for (const s of sources) {
    if (s.role !== 'lint') continue;
    // prepareSources puts stdin last.
    const isStdin = s.displayPath === stdinDisplay && s === sources[sources.length - 1];
    const abs = path.resolve(cwd, s.displayPath);
    let full: string;
    try {
      full = isStdin ? opts.stdin!.text : readFileSync(abs, 'utf8');
    } catch {
      continue;
    }
    // A byte order mark is not linted (prepareSources drops it): keep it out of the offsets, put it back on write.
    const bom = full.charCodeAt(0) === 0xfeff && s.text.charCodeAt(0) !== 0xfeff ? '\ufeff' : '';
    if (bom) full = full.slice(1);
    const framework = detectFramework(abs, full).framework;
    const body = (t: string) => upSection(t, framework);
    // The linted text must be the file's up section offset for offset (else it changed underneath us).
    if (body(full) !== s.text) continue;
    targets.set(s.displayPath, { text: full, body, path: isStdin ? null : abs, bom });
  }

  const run = fixSources(sources, engine, targets, opts.maxPasses ?? 10);
  run.result.errors.unshift(...readErrors);
  run.result.summary.errors = run.result.errors.length;
  const files: FixedFile[] = [];
  const texts = new Map<string, string>();
  let fixed = 0;
  for (const [displayPath, t] of targets) {
    const after = run.texts.get(displayPath) ?? t.text;
    texts.set(displayPath, t.body(after));
    fixed += run.fixed.get(displayPath) ?? 0;
    if (after !== t.text) files.push({ displayPath, path: t.path, before: t.bom + t.text, after: t.bom + after, fixed: run.fixed.get(displayPath) ?? 0 });
  }
  return { result: run.result, files, sources: texts, fixed, passes: run.passes };
}

/**
 * A unified diff of the fixed files (`--fix-dry-run`): `a/<path>` / `b/<path>` for paths
 * under the working directory (as git prints them, so `git apply` takes it), else the path.
 */
export async function fixDiff(files: readonly FixedFile[]): Promise<string> {
  const { createTwoFilesPatch, FILE_HEADERS_ONLY } = await import('diff');
  const name = (side: 'a' | 'b', p: string) => (p.startsWith('../') || path.isAbsolute(p) ? p : `${side}/${p}`);
  return files
    .map((f) => createTwoFilesPatch(name('a', f.displayPath), name('b', f.displayPath), f.before, f.after, undefined, undefined, { headerOptions: FILE_HEADERS_ONLY }))
    .join('');
}
