/**
 * Readers in application code. For each target (a column or table a pending
 * migration drops or renames, or a table whose writers matter), search the
 * configured source globs:
 *
 *   1. prefilter: read the file and keep it only if it contains the names
 *      (a lower-cased substring test, no parsing);
 *   2. SQL in string literals and .sql files is parsed with libpg-query and its
 *      column references resolved against the migrations' model (aliases, joins,
 *      CTEs, subqueries): a match is strong evidence ('parsed-sql');
 *   3. elsewhere (ORM code, SQL that does not parse, dict keys) a word-boundary
 *      match of the column near the table's name is weak evidence
 *      ('identifier-match'). Comments never count, and SQL that parsed never
 *      counts twice (a column of another table in parsed SQL is no match).
 */
import { compareText } from '../sql/text.js';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { lex, languageOf, type Lang } from './lexer.js';
import { analyzeSqlText, type SqlAnalysis } from './sqlrefs.js';
import { byteToIndex, joinLiterals, looksLikeSql, normalizePlaceholders, type SqlUnit } from './sqltext.js';
import type { Catalog, CodeHit, CodeSearchSummary, ObjectEvidence, ReaderTarget } from './types.js';

export interface CodeScanOptions {
  /** Directory the globs are relative to (the config file's directory). */
  baseDir: string;
  /** Globs of application source (fast-glob syntax). */
  paths: readonly string[];
  /** Globs to leave out (readers.exclude). */
  exclude?: readonly string[];
  /** Globs that leave the migrations out, one per migration root (the caller's; never searched). */
  migrations?: readonly string[];
  targets: readonly ReaderTarget[];
  catalog: Catalog;
  searchPath?: readonly string[];
  /** Lines between a column name and its table's name for an identifier match (default 12). */
  window?: number;
  /** Files larger than this are skipped (default 2 MB: bundles, generated code). */
  maxBytes?: number;
  /** Report files relative to this directory (default baseDir), e.g. the CLI's cwd. */
  displayDir?: string;
}

export interface CodeScanResult {
  evidence: Map<string, ObjectEvidence>;
  summary: CodeSearchSummary;
}

const DEFAULT_IGNORE = ['**/node_modules/**', '**/.git/**'];

let fgModule: typeof import('fast-glob') | null = null;
function fg(): typeof import('fast-glob') {
  fgModule ??= createRequire(import.meta.url)('fast-glob') as typeof import('fast-glob');
  return fgModule;
}

export async function scanCode(opts: CodeScanOptions): Promise<CodeScanResult> {
  const t0 = process.hrtime.bigint();
  const evidence = new Map<string, ObjectEvidence>();
  for (const t of opts.targets) evidence.set(t.key, { code: [], db: [] });
  const exclude = [...(opts.exclude ?? [])];
  const migrations = [...(opts.migrations ?? [])];
  const ignore = [...DEFAULT_IGNORE, ...exclude, ...migrations];
  const files = opts.targets.length === 0 ? [] : await fg()(opts.paths as string[], { cwd: opts.baseDir, ignore, onlyFiles: true, dot: false, unique: true, suppressErrors: true });
  files.sort();
  const matchers = opts.targets.map(targetMatcher);
  let candidates = 0;
  const maxBytes = opts.maxBytes ?? 2 * 1024 * 1024;
  // Synchronous reads are several times faster than fs.promises for many small files;
  // yield between chunks so a concurrent database scan still progresses.
  for (let i = 0; i < files.length; i++) {
    if (i > 0 && i % 500 === 0) await new Promise((r) => setImmediate(r));
    const rel = files[i]!;
    let text: string;
    try {
      const abs = path.resolve(opts.baseDir, rel);
      if (statSync(abs).size > maxBytes) continue;
      text = readFileSync(abs, 'utf8');
    } catch {
      continue;
    }
    const lower = text.toLowerCase();
    const relevant = matchers.filter((m) => m.prefilter(lower));
    if (relevant.length === 0) continue;
    candidates++;
    const shown = opts.displayDir ? path.relative(opts.displayDir, path.resolve(opts.baseDir, rel)) : rel;
    const hits = analyzeFile(shown.split(path.sep).join('/'), text, relevant, opts);
    for (const [key, list] of hits) evidence.get(key)!.code.push(...list);
  }
  for (const e of evidence.values()) e.code.sort((a, b) => compareText(a.file, b.file) || a.line - b.line || a.column - b.column);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { evidence, summary: { globs: [...opts.paths], exclude, migrations, files: files.length, candidates, ms, full: { files, exclude: ignore } } };
}

// ---------------------------------------------------------------------------
// Names and their variants
// ---------------------------------------------------------------------------

interface TargetMatcher {
  target: ReaderTarget;
  prefilter(lower: string): boolean;
  /** Lower-cased names that must occur in a SQL unit for it to be worth parsing. */
  sqlNeedles: string[];
  columnRe: RegExp | null;
  tableRe: RegExp;
}

export function singular(name: string): string {
  if (/ies$/.test(name)) return name.slice(0, -3) + 'y';
  if (/(ss|x|z|ch|sh)es$/.test(name)) return name.slice(0, -2);
  if (/s$/.test(name) && !/ss$/.test(name)) return name.slice(0, -1);
  return name;
}

function camel(name: string): string {
  return name.replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tableVariants(name: string): string[] {
  const lower = name.toLowerCase();
  const one = singular(lower);
  return [...new Set([lower, one, camel(lower).toLowerCase(), camel(one).toLowerCase()])];
}

function columnVariants(col: string): string[] {
  const lower = col.toLowerCase();
  return [...new Set([lower, camel(lower).toLowerCase()])];
}

function targetMatcher(t: ReaderTarget): TargetMatcher {
  const tables = tableVariants(t.name);
  const cols = t.column ? columnVariants(t.column) : [];
  const tableRe = new RegExp(`\\b(?:${tables.map(escapeRe).join('|')})\\b`, 'gi');
  const columnRe = cols.length ? new RegExp(`\\b(?:${cols.map(escapeRe).join('|')})\\b`, 'gi') : null;
  const anyOf = (lower: string, list: string[]) => list.some((n) => lower.includes(n));
  const prefilter =
    t.kind === 'table'
      ? (lower: string) => anyOf(lower, tables)
      : t.kind === 'column'
        ? (lower: string) => anyOf(lower, cols) && anyOf(lower, tables)
        : (lower: string) => anyOf(lower, tables) && (lower.includes('insert') || lower.includes('create'));
  return { target: t, prefilter, sqlNeedles: [t.name.toLowerCase()], columnRe, tableRe };
}

// ---------------------------------------------------------------------------
// One file
// ---------------------------------------------------------------------------

class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}

interface ParsedUnit {
  unit: SqlUnit;
  sql: string;
  map: number[];
  analysis: SqlAnalysis;
}

/** Analyse one file for the given targets; exported for tests. */
export function analyzeFile(file: string, text: string, matchers: readonly TargetMatcher[], opts: Pick<CodeScanOptions, 'catalog' | 'searchPath' | 'window'>): Map<string, CodeHit[]> {
  const lang: Lang = languageOf(file);
  const lexed = lex(text, lang);
  const lines = new LineIndex(text);
  const out = new Map<string, CodeHit[]>();
  const add = (key: string, h: CodeHit) => {
    let l = out.get(key);
    if (!l) out.set(key, (l = []));
    // One weak match per line is enough; strong ones are kept per distinct reference.
    if (!l.some((x) => x.line === h.line && x.strength === h.strength && (h.strength === 'weak' || x.detail === h.detail))) l.push(h);
  };
  const blank: Array<[number, number]> = [...lexed.comments];
  const parsed: ParsedUnit[] = [];
  const units = lang === 'sql' ? sqlFileUnits(text) : joinLiterals(text, lexed.literals);
  const resolve = { catalog: opts.catalog, ...(opts.searchPath ? { searchPath: opts.searchPath } : {}) };
  for (const unit of units) {
    const lower = unit.text.toLowerCase();
    const sqlish = lang === 'sql' || looksLikeSql(unit.text);
    if (!sqlish) {
      if (unit.docLike) blank.push([unit.start, unit.end]);
      continue;
    }
    if (!matchers.some((m) => m.sqlNeedles.some((n) => lower.includes(n)))) {
      // SQL that cannot mention a target: nothing to resolve, and no identifier match inside it either.
      if (analyzeSqlText(normalizePlaceholders(unit.text, unit.map).text, resolve)) blank.push([unit.start, unit.end]);
      continue;
    }
    const norm = normalizePlaceholders(unit.text, unit.map);
    const analysis = analyzeSqlText(norm.text, resolve);
    if (!analysis) {
      if (unit.docLike) blank.push([unit.start, unit.end]);
      continue;
    }
    blank.push([unit.start, unit.end]);
    parsed.push({ unit, sql: norm.text, map: norm.map, analysis });
  }

  // Strong evidence: parsed SQL.
  for (const p of parsed) {
    const pos = (byteLoc: number) => lines.at(p.map[byteToIndex(p.sql, byteLoc)] ?? p.unit.start);
    const snippet = shorten(p.sql);
    for (const m of matchers) {
      const t = m.target;
      if (t.kind === 'writer') {
        for (const ins of p.analysis.inserts) {
          if (ins.table !== t.table) continue;
          if (ins.columns && ins.columns.includes(t.column!)) continue;
          const at = pos(ins.location);
          add(t.key, {
            file,
            ...at,
            certainty: 'parsed-sql',
            strength: 'strong',
            access: 'write',
            detail: ins.columns ? `${ins.text} omits ${t.column}` : `${ins.text} VALUES (...) without a column list`,
          });
        }
        continue;
      }
      for (const r of p.analysis.refs) {
        if (r.table !== t.table) continue;
        if (t.kind === 'column' && !(r.kind === 'column' && r.column === t.column)) continue;
        if (t.kind === 'table' && r.kind !== 'table') continue;
        const at = pos(r.location);
        add(t.key, { file, ...at, certainty: 'parsed-sql', strength: 'strong', access: r.access, detail: `${r.access === 'write' ? 'writes' : 'reads'} ${r.text}: ${snippet}` });
      }
      if (t.kind === 'column' && (t.change === 'drop-column' || t.change === 'type-narrowing')) {
        const why = t.change === 'drop-column' ? 'the value count no longer matches' : `it writes ${t.column} too`;
        for (const ins of p.analysis.inserts) {
          if (ins.table !== t.table || ins.columns) continue;
          add(t.key, { file, ...pos(ins.location), certainty: 'parsed-sql', strength: 'strong', access: 'write', detail: `${ins.text} VALUES (...) without a column list: ${why}` });
        }
      }
    }
  }

  // Weak evidence: identifiers outside comments and parsed SQL.
  const code = blankRanges(text, blank);
  const window = opts.window ?? 12;
  for (const m of matchers) {
    const t = m.target;
    const tableLines = matchLines(code, m.tableRe, lines);
    if (tableLines.length === 0) continue;
    if (t.kind === 'table') {
      for (const hit of matchAll(code, m.tableRe, lines)) {
        add(t.key, { file, line: hit.line, column: hit.column, certainty: 'identifier-match', strength: 'weak', access: 'reference', detail: `identifier ${hit.word}` });
      }
      continue;
    }
    if (t.kind === 'column') {
      for (const hit of matchAll(code, m.columnRe!, lines)) {
        const near = nearest(tableLines, hit.line);
        if (near === null || Math.abs(near - hit.line) > window) continue;
        add(t.key, { file, line: hit.line, column: hit.column, certainty: 'identifier-match', strength: 'weak', access: 'reference', detail: `identifier ${hit.word} near ${t.name} (line ${near})` });
      }
      continue;
    }
    // writers: an insert/create call near the table's name, with the column nowhere near it.
    const colLines = matchLines(code, m.columnRe!, lines);
    for (const hit of matchAll(code, /\binsert\w*\b|\.create\s*\(/gi, lines)) {
      const near = nearest(tableLines, hit.line);
      if (near === null || Math.abs(near - hit.line) > 3) continue;
      const col = nearest(colLines, hit.line);
      if (col !== null && Math.abs(col - hit.line) <= window) continue;
      add(t.key, { file, line: hit.line, column: hit.column, certainty: 'identifier-match', strength: 'weak', access: 'write', detail: `${hit.word.trim()} near ${t.name} without ${t.column}` });
    }
  }
  // A line with strong evidence needs no weak duplicate.
  for (const [key, list] of out) {
    const strongLines = new Set(list.filter((h) => h.strength === 'strong').map((h) => h.line));
    out.set(
      key,
      list.filter((h) => h.strength === 'strong' || !strongLines.has(h.line)),
    );
  }
  return out;
}

/** Public entry for tests: analyse a file's text for targets. */
export function analyzeSource(file: string, text: string, targets: readonly ReaderTarget[], catalog: Catalog, searchPath?: readonly string[]): Map<string, CodeHit[]> {
  return analyzeFile(file, text, targets.map(targetMatcher), { catalog, ...(searchPath ? { searchPath } : {}) });
}

function sqlFileUnits(text: string): SqlUnit[] {
  const identity = (a: number, b: number) => {
    const m: number[] = [];
    for (let k = a; k <= b; k++) m.push(k);
    return m;
  };
  // Whole file first; statements one by one only when the whole does not parse.
  const whole: SqlUnit = { start: 0, end: text.length, text, map: identity(0, text.length), docLike: false };
  if (analyzeSqlText(text, { catalog: new Map() })) return [whole];
  const units: SqlUnit[] = [];
  let start = 0;
  let quote: string | null = null;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '-' && text[i + 1] === '-') {
      const e = text.indexOf('\n', i);
      i = e < 0 ? text.length : e;
    } else if (c === ';' || c === undefined) {
      if (text.slice(start, i).trim()) units.push({ start, end: i, text: text.slice(start, i), map: identity(start, i), docLike: false });
      start = i + 1;
    }
  }
  return units;
}

function blankRanges(text: string, ranges: ReadonlyArray<[number, number]>): string {
  if (ranges.length === 0) return text;
  const chars = text.split('');
  for (const [a, b] of ranges) for (let i = a; i < b && i < chars.length; i++) if (chars[i] !== '\n') chars[i] = ' ';
  return chars.join('');
}

function matchAll(text: string, re: RegExp, lines: LineIndex): Array<{ line: number; column: number; word: string }> {
  const out: Array<{ line: number; column: number; word: string }> = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ ...lines.at(m.index), word: m[0] });
  return out;
}

function matchLines(text: string, re: RegExp, lines: LineIndex): number[] {
  return [...new Set(matchAll(text, re, lines).map((m) => m.line))].sort((a, b) => a - b);
}

function nearest(sorted: readonly number[], line: number): number | null {
  let best: number | null = null;
  for (const l of sorted) if (best === null || Math.abs(l - line) < Math.abs(best - line)) best = l;
  return best;
}

function shorten(sql: string): string {
  const s = sql
    .replace(/--[^\n]*\n/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
