/**
 * Human output for a terminal, in the style of rustc/squawk: a header per
 * finding, the message, the statement's source lines with the span underlined,
 * the lock, the help and the suggested SQL.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Finding, LintError, LintResult, Severity } from '../types.js';
import type { ReporterContext } from './types.js';
import { lockText, orderedItems, PARSE_ERROR_ID, reportPath, sizeText, splitLines, summaryText } from './util.js';

const TAB_WIDTH = 4;
/** Statements longer than this many lines are shown as head ... tail. */
const MAX_FRAME_LINES = 8;
const HEAD_LINES = 4;
const FRAME_INDENT = '  ';
const TAIL_LINES = 2;

interface Style {
  c: ChalkInstance;
  sev: Record<Severity, ChalkInstance>;
}

export function ttyReporter(result: LintResult, ctx: ReporterContext): string {
  const c = new Chalk({ level: ctx.color ? 1 : 0 });
  const style: Style = { c, sev: { error: c.red.bold, warning: c.yellow.bold, info: c.blue.bold } };
  const lines = new Map<string, string[]>();
  const sourceLines = (file: string): string[] | null => {
    const text = ctx.sources?.get(file);
    if (text === undefined) return null;
    let l = lines.get(file);
    if (!l) lines.set(file, (l = splitLines(text)));
    return l;
  };

  const blocks: string[] = [];
  for (const item of orderedItems(result)) {
    const src = sourceLines(item.file);
    const file = reportPath(item.file, ctx.cwd);
    blocks.push(item.kind === 'error' ? renderError(item.error, file, src, style) : renderFinding(item.finding, file, src, style));
  }

  for (const n of result.notes ?? []) blocks.push(`${c.blue.bold('note:')} ${hang(n.message, 6)}`);
  const sum = summaryText(result);
  const hasErrors = result.errors.length > 0 || result.findings.some((f) => f.severity === 'error');
  const summary = sum.ok ? c.green(`✓ ${sum.text}`) : (hasErrors ? c.red.bold : c.yellow.bold)(`✖ ${sum.text}`);
  return blocks.map((b) => `${b}\n\n`).join('') + summary + '\n';
}

function renderFinding(f: Finding, file: string, src: string[] | null, s: Style): string {
  const { c } = s;
  const out: string[] = [];
  out.push(`${c.bold(`${file}:${f.line}:${f.column}`)}  ${s.sev[f.severity](f.severity)}  ${c.dim(f.rule)}`);
  out.push(`  ${hang(f.message, 2)}`);
  if (src) {
    const frame = codeFrame(src, f.line, f.column, f.endLine, f.endColumn, s.sev[f.severity], c);
    if (frame.length > 0) out.push('', ...frame, '');
  }
  const lock = lockText(f);
  if (lock) out.push(`  ${c.magenta.bold('lock:')} ${lock}`);
  const size = sizeText(f);
  if (size) out.push(`  ${c.magenta.bold('size:')} ${size}`);
  if (f.help) out.push(`  ${c.cyan.bold('help:')} ${hang(f.help, 8)}`);
  if (f.suggestion) {
    out.push(`  ${c.green.bold('suggestion:')}`);
    for (const l of splitLines(f.suggestion.replace(/\s+$/, ''))) out.push(l ? `      ${c.green(expandTabs(l))}` : '');
  }
  return out.join('\n');
}

function renderError(e: LintError, file: string, src: string[] | null, s: Style): string {
  const { c } = s;
  const out = [`${c.bold(`${file}:${e.line}:${e.column}`)} ${s.sev.error('error')} ${c.dim(`${PARSE_ERROR_ID}:`)} ${hang(e.message, 2)}`];
  if (src && e.line >= 1 && e.line <= src.length) {
    const frame = codeFrame(src, e.line, e.column, e.line, e.column + 1, s.sev.error, c);
    if (frame.length > 0) out.push('', ...frame);
  }
  return out.join('\n');
}

/** Indent the continuation lines of a multi-line text. */
function hang(text: string, indent: number): string {
  return text.replace(/\r?\n/g, `\n${' '.repeat(indent)}`);
}

/** Display column (0-based, tabs expanded) of each string index of a line, plus one past the end. */
function displayColumns(line: string): number[] {
  const cols: number[] = [];
  let d = 0;
  for (let i = 0; i < line.length; i++) {
    cols.push(d);
    d = line[i] === '\t' ? d + TAB_WIDTH - (d % TAB_WIDTH) : d + 1;
  }
  cols.push(d);
  return cols;
}

function expandTabs(line: string): string {
  let out = '';
  for (const ch of line) out += ch === '\t' ? ' '.repeat(TAB_WIDTH - (out.length % TAB_WIDTH)) : ch;
  return out;
}

/**
 * Source lines line..endLine with the span underlined. Columns are 1-based;
 * endColumn is exclusive (one past the last character), as in Finding.
 */
export function codeFrame(src: readonly string[], line: number, column: number, endLine: number, endColumn: number, mark: ChalkInstance, c: ChalkInstance): string[] {
  if (line < 1 || line > src.length) return [];
  const last = Math.min(Math.max(endLine, line), src.length);
  const width = String(last).length;
  const gutter = (n: number | null): string => c.blue(`${FRAME_INDENT}${n === null ? ' '.repeat(width) : String(n).padStart(width)} |`);
  const shown: Array<number | null> = [];
  const count = last - line + 1;
  if (count > MAX_FRAME_LINES) {
    for (let n = line; n < line + HEAD_LINES; n++) shown.push(n);
    shown.push(null);
    for (let n = last - TAIL_LINES + 1; n <= last; n++) shown.push(n);
  } else {
    for (let n = line; n <= last; n++) shown.push(n);
  }

  const out: string[] = [];
  for (const n of shown) {
    if (n === null) {
      out.push(c.blue(`${FRAME_INDENT}${'.'.repeat(Math.max(3, width))}`));
      continue;
    }
    const text = src[n - 1] ?? '';
    const cols = displayColumns(text);
    // The underlined part of this line, as string indexes [from, to).
    let from = n === line ? Math.min(column - 1, text.length) : text.search(/\S|$/);
    let to = n === last && n === endLine ? Math.min(endColumn - 1, text.length) : text.replace(/\s+$/, '').length;
    if (to <= from) {
      // Empty span (or one past the line end): one caret where it points.
      to = from + 1;
    }
    from = Math.max(0, from);
    const start = cols[from] ?? cols[cols.length - 1] ?? 0;
    const end = (cols[to] ?? (cols[cols.length - 1] ?? 0) + (to - text.length));
    const body = expandTabs(text);
    out.push(`${gutter(n)}${body ? ` ${body}` : ''}`);
    out.push(`${gutter(null)} ${' '.repeat(start)}${mark('^'.repeat(Math.max(1, end - start)))}`);
  }
  return out;
}
