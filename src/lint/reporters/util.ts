/** Helpers shared by the reporters. */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Finding, LintError, LintResult, RuleMeta } from '../types.js';
import type { ReporterContext } from './types.js';
import { formatBytes, formatDurationRange, formatRows } from '../../locks/estimate.js';

export const TOOL_NAME = 'ddlguard';
export const INFORMATION_URI = 'https://github.com/ddlguard/ddlguard';
/** Pseudo rule id under which parse errors (LintError) are reported. */
export const PARSE_ERROR_ID = 'parse-error';

export function ruleDocsUrl(id: string): string {
  return `${INFORMATION_URI}/blob/main/docs/rules/${id}.md`;
}

/** A path as reported: relative to cwd when absolute, forward slashes. */
export function reportPath(file: string, cwd: string): string {
  let p = file;
  if (path.isAbsolute(p)) p = path.relative(cwd, p) || path.basename(p);
  return p.replace(/\\/g, '/');
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

export interface ProblemCounts {
  /** findings + parse errors */
  problems: number;
  /** error findings + parse errors */
  errors: number;
  warnings: number;
  infos: number;
  /** Files with at least one problem. */
  files: number;
}

export function countProblems(result: LintResult): ProblemCounts {
  const c: ProblemCounts = { problems: 0, errors: result.errors.length, warnings: 0, infos: 0, files: 0 };
  for (const f of result.findings) {
    if (f.severity === 'error') c.errors++;
    else if (f.severity === 'warning') c.warnings++;
    else c.infos++;
  }
  c.problems = result.findings.length + result.errors.length;
  c.files = new Set([...result.findings.map((f) => f.file), ...result.errors.map((e) => e.file)]).size;
  return c;
}

/** "3 problems (2 errors, 1 warning)" / "1 problem (1 error, 0 warnings, 1 info)" */
export function problemPhrase(c: ProblemCounts): string {
  const parts = [plural(c.errors, 'error'), plural(c.warnings, 'warning')];
  if (c.infos > 0) parts.push(`${c.infos} info`);
  return `${plural(c.problems, 'problem')} (${parts.join(', ')})`;
}

/** "✖ 3 problems (2 errors, 1 warning) in 2 files" or "✓ 12 files checked, no problems" (without the mark). */
export function summaryText(result: LintResult): { ok: boolean; text: string } {
  const c = countProblems(result);
  if (c.problems === 0) return { ok: true, text: `${plural(result.summary.files, 'file')} checked, no problems` };
  return { ok: false, text: `${problemPhrase(c)} in ${plural(c.files, 'file')}` };
}

/** A problem of either kind, for reporters that go file by file. */
export type Item = { kind: 'finding'; file: string; line: number; column: number; finding: Finding } | { kind: 'error'; file: string; line: number; column: number; error: LintError };

/** Findings and parse errors merged, ordered by file, line, column (parse errors first on a tie). */
export function orderedItems(result: LintResult): Item[] {
  const items: Item[] = [
    ...result.errors.map((error): Item => ({ kind: 'error', file: error.file, line: error.line, column: error.column, error })),
    ...result.findings.map((finding): Item => ({ kind: 'finding', file: finding.file, line: finding.line, column: finding.column, finding })),
  ];
  // Array.prototype.sort is stable: findings keep the engine's order on ties.
  return items.sort((a, b) => cmp(a.file, b.file) || a.line - b.line || a.column - b.column || (a.kind === b.kind ? 0 : a.kind === 'error' ? -1 : 1));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function groupByFile(items: readonly Item[]): Map<string, Item[]> {
  const out = new Map<string, Item[]>();
  for (const it of items) {
    let list = out.get(it.file);
    if (!list) out.set(it.file, (list = []));
    list.push(it);
  }
  return out;
}

export function ruleMap(rules: readonly RuleMeta[]): Map<string, RuleMeta> {
  return new Map(rules.map((r) => [r.id, r]));
}

/** String indexes where each line starts. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** Lines of a text, without their terminators. */
export function splitLines(text: string): string[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** String index of a 1-based line/column (columns count UTF-16 code units, as Finding's do). */
export function indexOf(starts: readonly number[], textLength: number, line: number, column: number): number {
  const s = starts[Math.max(0, line - 1)];
  if (s === undefined) return textLength;
  return Math.min(textLength, s + Math.max(0, column - 1));
}

/** The text a finding's span covers, or null when the source is unknown. */
export function findingText(f: Finding, sources: ReadonlyMap<string, string> | undefined): string | null {
  const text = sources?.get(f.file);
  if (text === undefined) return null;
  const starts = lineStarts(text);
  const a = indexOf(starts, text.length, f.line, f.column);
  const b = indexOf(starts, text.length, f.endLine, f.endColumn);
  return b > a ? text.slice(a, b) : null;
}

/** Whitespace- and comment-insensitive form of SQL, so reformatting keeps fingerprints. */
export function normalizeSql(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),;])\s*/g, '$1')
    .trim();
}

function sha256(s: string): string {
  // node:crypto is loaded on first use: only the fingerprinting formats (sarif, gitlab) need it.
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(s).digest('hex');
}

/**
 * Stable fingerprints: sha256 of rule id, file, the normalized statement text
 * (or the message when the source is unknown) and the occurrence index of that
 * triple. No line number: unrelated edits above a finding keep its fingerprint.
 */
export function fingerprints(result: LintResult, ctx: ReporterContext): { findings: string[]; errors: string[] } {
  const seen = new Map<string, number>();
  const next = (parts: string[]): string => {
    const key = parts.join('\u0000');
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return sha256(`${key}\u0000${n}`);
  };
  const findings = result.findings.map((f) => {
    const text = findingText(f, ctx.sources);
    const basis = text === null ? `message:${f.message}` : `sql:${normalizeSql(text)}`;
    return next([f.rule, reportPath(f.file, ctx.cwd), basis]);
  });
  const errors = result.errors.map((e) => next([PARSE_ERROR_ID, reportPath(e.file, ctx.cwd), `message:${e.message}`]));
  return { findings, errors };
}

/** The kind of work of an estimate, in words (`index-build` -> `index build`). */
export const WORK_WORDS: Record<string, string> = {
  scan: 'scan',
  'fk-validation': 'foreign key check',
  'index-build': 'index build',
  'index-build-concurrent': 'concurrent index build',
  rewrite: 'rewrite',
  copy: 'copy',
  'index-copy': 'index copy',
  dml: 'update of every row',
  delete: 'delete of every row',
};

/** "public.users: 48M rows, 31 GB: rewrite under ACCESS EXCLUSIVE, about 6 min", when a source sized the table. */
export function sizeText(f: Finding): string | null {
  if (!f.size) return null;
  const head = `${f.lock?.relation ?? 'table'}: ${formatRows(f.size.rows)}, ${formatBytes(f.size.bytes)}`;
  if (!f.estimate) return head;
  return `${head}: ${WORK_WORDS[f.estimate.work] ?? f.estimate.work}${f.lock ? ` under ${f.lock.mode}` : ''}, ${formatDurationRange(f.estimate)}`;
}

/** Lock line as the tty shows it: "ACCESS EXCLUSIVE on public.users (blocks reads and writes)". */
export function lockText(f: Finding): string | null {
  return f.lock ? `${f.lock.mode} on ${f.lock.relation} (${f.lock.blocks})` : null;
}
