/**
 * Code actions for the findings under the cursor:
 *
 * - the finding's fix, offered only when --fix would apply it (lint-bridge fixApplies: the
 *   rule's builder proved the rewrite by re-parsing, and the file with it is no worse);
 * - the finding's suggested SQL. A suggestion that is plain SQL (it parses, no comments: it
 *   leaves no step to a human) replaces the statement, when the file is no worse for it by
 *   the same test. Any other suggestion (steps across transactions or releases, placeholders
 *   such as `<key range>`, or one that would make the file worse where it stands) goes in as
 *   a comment block above the statement: it is text to act on, not code to run as is;
 * - `-- ddlguard-ignore <rule>` for the statement (added to an ignore comment already there)
 *   and `-- ddlguard-ignore-file <rule>`, each checked by parsing the result: the directive
 *   must attach to the statement (or the file) the finding is on;
 * - "fix all": the --fix run itself (several rounds), as `source.fixAll.ddlguard`.
 */
import { CodeActionKind, type CodeAction, type Range, type TextEdit as LspTextEdit, type WorkspaceEdit } from 'vscode-languageserver';
import { commentBody, parseDirective } from '../sql/comments.js';
import { eol, terminator } from '../lint/fix.js';
import { parseSqlFile } from '../sql/parse.js';
import type { ParsedStatement } from '../sql/statement.js';
import type { Finding } from '../lint/types.js';
import { findingDiagnostic } from './diagnostics.js';
import { fixAllText, fixApplies, fixFile, noWorse, type DocLint } from './lint-bridge.js';
import { touches } from './positions.js';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.ddlguard`;

export interface ActionOptions {
  /** `context.only` of the request. */
  only?: string[];
  /** The client resolves actions lazily (codeAction/resolve with `edit`): fix all is computed on resolve. */
  lazy: boolean;
  /** The client takes versioned document changes. */
  documentChanges: boolean;
}

/** Data of an action whose edit is computed on resolve. */
export interface ActionData {
  uri: string;
  version: number;
  kind: 'fix-all';
}

/** One replacement in the linted text (offsets into it, BOM excluded). */
interface Replace {
  start: number;
  end: number;
  text: string;
}

const wanted = (kind: string, only?: string[]) => !only || only.length === 0 || only.some((o) => kind === o || kind.startsWith(`${o}.`));

export function codeActions(lint: DocLint, range: Range, opts: ActionOptions): CodeAction[] {
  const out: CodeAction[] = [];
  const quick = wanted(CodeActionKind.QuickFix, opts.only);
  if (quick) {
    for (const f of lint.findings) {
      const diag = findingDiagnostic(f, lint.linted);
      if (!touches(diag.range, range)) continue;
      const fixed = fixApplies(lint, f);
      if (fixed !== null) out.push(action(lint, `Fix ${f.rule}: ${describeFix(lint, fixed)}`, diag, minimalEdit(lint.linted.text, fixed), opts, true));
      const sug = suggestionEdit(lint, f, fixed);
      if (sug) out.push(action(lint, sug.title, diag, sug.edit, opts, false));
      const ign = ignoreStatementEdit(lint, f);
      if (ign) out.push(action(lint, `Ignore ${f.rule} for this statement`, diag, ign, opts, false));
      const file = ignoreFileEdit(lint, f.rule);
      if (file) out.push(action(lint, `Ignore ${f.rule} in this file`, diag, file, opts, false));
    }
  }
  dedupe(out);
  const fixable = lint.findings.some((f) => f.fix);
  if (fixable && wanted(FIX_ALL_KIND, opts.only)) {
    const title = 'Fix all ddlguard problems --fix can fix';
    if (opts.lazy) {
      const data: ActionData = { uri: lint.uri, version: lint.version, kind: 'fix-all' };
      out.push({ title, kind: FIX_ALL_KIND, data });
    } else {
      const edit = fixAllEdit(lint, opts);
      if (edit) out.push({ title, kind: FIX_ALL_KIND, edit });
    }
  }
  return out;
}

/** Two findings proposing the same edit under the same title (one header for the file) are one action for both. */
function dedupe(actions: CodeAction[]): void {
  const seen = new Map<string, CodeAction>();
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    const key = `${a.title}\u0000${JSON.stringify(a.edit)}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, a);
      continue;
    }
    first.diagnostics = [...(first.diagnostics ?? []), ...(a.diagnostics ?? [])];
    actions.splice(i--, 1);
  }
}

/** The fix-all action's edit (for codeAction/resolve), or null when --fix would change nothing. */
export function fixAllEdit(lint: DocLint, opts: Pick<ActionOptions, 'documentChanges'>): WorkspaceEdit | null {
  const after = fixAllText(lint);
  if (after === null) return null;
  return workspaceEdit(lint, [minimalEdit(lint.linted.text, after)], opts);
}

function action(lint: DocLint, title: string, diag: ReturnType<typeof findingDiagnostic>, edit: Replace, opts: ActionOptions, preferred: boolean): CodeAction {
  const a: CodeAction = { title, kind: CodeActionKind.QuickFix, diagnostics: [diag], edit: workspaceEdit(lint, [edit], opts) };
  if (preferred) a.isPreferred = true;
  return a;
}

function workspaceEdit(lint: DocLint, edits: Replace[], opts: Pick<ActionOptions, 'documentChanges'>): WorkspaceEdit {
  const lsp: LspTextEdit[] = edits.map((e) => ({ range: lint.linted.range(e.start, e.end), newText: e.text }));
  if (opts.documentChanges) return { documentChanges: [{ textDocument: { uri: lint.uri, version: lint.version }, edits: lsp }] };
  return { changes: { [lint.uri]: lsp } };
}

/** One edit that turns `before` into `after`: the changed middle, common prefix and suffix kept. */
export function minimalEdit(before: string, after: string): Replace {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let tail = 0;
  while (tail < max - start && before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)) tail++;
  // Never split a surrogate pair.
  if (start > 0 && isHigh(before.charCodeAt(start - 1))) start--;
  if (tail > 0 && isLow(before.charCodeAt(before.length - tail))) tail--;
  return { start, end: before.length - tail, text: after.slice(start, after.length - tail) };
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** "insert ` CONCURRENTLY`", "move the statement after COMMIT", or "rewrite the statement". */
function describeFix(lint: DocLint, after: string): string {
  const e = minimalEdit(lint.linted.text, after);
  const removed = lint.linted.text.slice(e.start, e.end);
  const oneLine = (s: string) => !s.trim().includes('\n') && s.trim().length > 0 && s.trim().length <= 60;
  if (removed === '' && oneLine(e.text)) return `insert "${e.text.trim()}"`;
  if (e.text === '' && oneLine(removed)) return `remove "${removed.trim()}"`;
  return 'rewrite as --fix does';
}

// ---------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------

/** The statement a finding is on: the innermost one containing its start. */
function statementOf(lint: DocLint, f: Finding): ParsedStatement | null {
  const p = lint.parsed;
  if (!p) return null;
  const at = lint.linted.offsetOf(f.line, f.column);
  let best: ParsedStatement | null = null;
  for (const s of p.statements) {
    if (at < s.span.start.offset || at > s.span.end.offset) continue;
    if (!best || s.span.end.offset - s.span.start.offset < best.span.end.offset - best.span.start.offset) best = s;
  }
  return best;
}

function topLevelOf(lint: DocLint, stmt: ParsedStatement): ParsedStatement {
  return stmt.inDoBlock === null ? stmt : (lint.parsed!.statements[stmt.inDoBlock] ?? stmt);
}

/**
 * Where a comment line for `stmt` goes: the start of its line when only whitespace and
 * comments precede it there (no other statement's code), else the statement itself (the
 * comment then gets a line of its own by breaking the line before the statement).
 */
function commentSpot(lint: DocLint, stmt: ParsedStatement): { at: number; ownLine: boolean; indent: string } {
  const text = lint.linted.text;
  const from = lineStart(text, stmt.span.start.offset);
  const lead = text.slice(from, stmt.span.start.offset);
  const indent = /^[ \t]*/.exec(lead)?.[0] ?? '';
  const codeBefore = lint.parsed!.statements.some((s) => s !== stmt && s.span.end.offset > from && s.span.end.offset <= stmt.span.start.offset);
  return codeBefore ? { at: stmt.span.start.offset, ownLine: false, indent } : { at: from, ownLine: true, indent };
}

/** A comment block (lines without their comment markers' line breaks) placed for `stmt`. */
function commentLines(lint: DocLint, stmt: ParsedStatement, lines: string[]): Replace {
  const nl = fixFile(lint) ? eol(fixFile(lint)!) : '\n';
  const spot = commentSpot(lint, stmt);
  const body = lines.map((l) => spot.indent + l).join(nl) + nl;
  return { start: spot.at, end: spot.at, text: spot.ownLine ? body : nl + body + spot.indent };
}

const lineStart = (text: string, at: number) => text.lastIndexOf('\n', at - 1) + 1;

function apply(text: string, e: Replace): string {
  return text.slice(0, e.start) + e.text + text.slice(e.end);
}

// ---------------------------------------------------------------------------
// Suggestions
// ---------------------------------------------------------------------------

function suggestionEdit(lint: DocLint, f: Finding, fixed: string | null): { title: string; edit: Replace } | null {
  const suggestion = f.suggestion?.replace(/\s+$/, '');
  if (!suggestion) return null;
  const found = statementOf(lint, f);
  if (!found) return null;
  const text = lint.linted.text;
  const file = fixFile(lint);
  const stmt = topLevelOf(lint, found);
  const nl = file ? eol(file) : '\n';

  const memoKey = `suggest\u0000${lint.findings.indexOf(f)}`;
  let replace = lint.memo.get(memoKey) as Replace | 'same-as-fix' | null | undefined;
  if (replace === undefined) {
    replace = null;
    const plain = parseSqlFile('suggestion.sql', suggestion);
    const anchored = stmt === found && text.slice(stmt.span.start.offset, stmt.span.end.offset) === stmt.text;
    if (file && anchored && !plain.error && plain.statements.length > 0 && plain.comments.length === 0) {
      const term = terminator(file, stmt);
      const end = term === null ? stmt.span.end.offset : term + 1;
      const indent = commentSpot(lint, stmt).indent;
      const r = { start: stmt.span.start.offset, end, text: suggestion.split(/\r?\n/).join(nl + indent) };
      const after = apply(text, r);
      // The fix's own result is offered once, as the fix; worse than what it replaces: a comment.
      if (after === fixed) replace = 'same-as-fix';
      else if (after !== text && noWorse(lint, after)) replace = r;
    }
    lint.memo.set(memoKey, replace);
  }
  if (replace === 'same-as-fix') return null;
  if (replace) return { title: `Replace with the suggested SQL (${f.rule})`, edit: replace };
  const lines = [`-- ddlguard ${f.rule} suggests:`, ...suggestion.split(/\r?\n/).map((l) => (/^\s*--/.test(l) ? l.trimStart() : l.trim() === '' ? '--' : `-- ${l}`))];
  return { title: `Insert the suggested SQL as a comment (${f.rule})`, edit: commentLines(lint, stmt, lines) };
}

// ---------------------------------------------------------------------------
// Ignore comments
// ---------------------------------------------------------------------------

/** `-- ddlguard-ignore <rule>` for the finding's statement, proven by parsing the result. */
function ignoreStatementEdit(lint: DocLint, f: Finding): Replace | null {
  const found = statementOf(lint, f);
  if (!found) return null;
  const text = lint.linted.text;
  const candidates: Replace[] = [];
  // Add the rule to an ignore comment on its own line above the statement.
  for (const c of found.comments) {
    if (c.block || c.span.start.offset >= found.span.start.offset) continue;
    const d = parseDirective(c);
    if (d?.kind !== 'ignore' || d.rules.length === 0) continue;
    const body = commentBody(c);
    const m = /^ddlguard-ignore\b(.*)$/.exec(body);
    if (!m) continue;
    const list = (m[1] ?? '').split(/\s--\s|\s#\s/)[0] ?? '';
    const listEnd = c.text.indexOf(body) + 'ddlguard-ignore'.length + list.replace(/\s+$/, '').length;
    candidates.push({ start: c.span.start.offset + listEnd, end: c.span.start.offset + listEnd, text: `, ${f.rule}` });
  }
  for (const stmt of found.inDoBlock === null ? [found] : [found, topLevelOf(lint, found)]) candidates.push(commentLines(lint, stmt, [`-- ddlguard-ignore ${f.rule}`]));
  for (const c of candidates) {
    const after = lint.body(apply(text, c));
    const p = parseSqlFile(lint.run.doc.displayPath, after);
    const again = p.statements[found.index];
    if (!p.error && again && again.kind === found.kind && again.directives.some((d) => d.kind === 'ignore' && (d.rules.length === 0 || d.rules.includes(f.rule)))) return c;
  }
  return null;
}

/** `-- ddlguard-ignore-file <rule>` at the top of the file (below a leading dbmate marker if need be), proven by parsing. */
function ignoreFileEdit(lint: DocLint, rule: string): Replace | null {
  const text = lint.linted.text;
  const file = fixFile(lint);
  const nl = file ? eol(file) : '\n';
  const firstEol = text.indexOf('\n');
  const spots = [0, ...(firstEol >= 0 ? [firstEol + 1] : [])];
  for (const at of spots) {
    const c = { start: at, end: at, text: `-- ddlguard-ignore-file ${rule}${nl}` };
    const p = parseSqlFile(lint.run.doc.displayPath, lint.body(apply(text, c)));
    if (!p.error && p.directives.some((d) => d.kind === 'ignore-file' && d.rules.includes(rule))) return c;
  }
  return null;
}
