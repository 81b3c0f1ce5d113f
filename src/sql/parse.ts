/**
 * Parse a migration file into statements with source spans, comments and
 * directives. DDL inside DO blocks is parsed too, because it runs when the
 * migration runs.
 */
import { parseDirective, type Comment, type Directive } from './comments.js';
import { parsePlpgsqlRaw, parseRaw, scanRaw, toParseError } from './parser.js';
import { SourceText } from './source.js';
import type { ParsedFile, ParsedStatement } from './statement.js';

interface Piece {
  kind: string;
  node: unknown;
  start: number;
  end: number;
}

export function parseSqlFile(path: string, original: string): ParsedFile {
  // Editors on Windows often save a UTF-8 byte order mark; migration runners strip it. A space
  // keeps every offset, line and column unchanged.
  const text = original.charCodeAt(0) === 0xfeff ? ' ' + original.slice(1) : original;
  const src = new SourceText(text);
  const comments = scanComments(src);
  let raw;
  // A file of only comments and whitespace is an empty migration, not an error.
  if (isBlank(text, comments)) return { path, text, statements: [], comments, directives: fileDirectives(comments), error: null };
  try {
    raw = parseRaw(text);
  } catch (e) {
    const err = toParseError(e);
    const idx = err.cursor === null ? 0 : src.indexOfCodePoint(err.cursor);
    const pos = src.position(idx);
    return {
      path,
      text,
      statements: [],
      comments,
      directives: fileDirectives(comments),
      error: { message: err.message, line: pos.line, column: pos.column },
    };
  }

  const pieces: Piece[] = [];
  for (const s of raw.stmts) {
    const kind = Object.keys(s.stmt)[0] ?? 'Unknown';
    const startByte = s.stmt_location ?? 0;
    let start = src.indexOfByte(startByte);
    const end = s.stmt_len ? src.indexOfByte(startByte + s.stmt_len) : text.length;
    // stmt_location may include leading whitespace/comments on older parsers; skip them.
    start = skipTrivia(text, start, end, comments);
    let e = end;
    while (e > start && /\s|;/.test(text[e - 1] ?? '')) e--;
    pieces.push({ kind, node: s.stmt[kind], start, end: e });
  }

  const statements: ParsedStatement[] = [];
  let prevEnd = 0;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    const nextStart = pieces[i + 1]?.start ?? text.length;
    const attached = attachComments(src, comments, prevEnd, p.start, p.end, nextStart);
    const stmt: ParsedStatement = {
      index: statements.length,
      kind: p.kind,
      node: p.node,
      text: text.slice(p.start, p.end),
      span: src.span(p.start, p.end),
      comments: attached,
      directives: attached.map(parseDirective).filter((d): d is Directive => d !== null && d.kind !== 'ignore-file'),
      inDoBlock: null,
    };
    statements.push(stmt);
    if (p.kind === 'DoStmt') statements.push(...doBlockStatements(src, stmt, statements.length));
    prevEnd = p.end;
  }
  return { path, text, statements, comments, directives: fileDirectives(comments), error: null };
}

function isBlank(text: string, comments: Comment[]): boolean {
  let rest = text;
  for (const c of [...comments].reverse()) rest = rest.slice(0, c.span.start.offset) + rest.slice(c.span.end.offset);
  return /^[\s;]*$/.test(rest);
}

function fileDirectives(comments: Comment[]): Directive[] {
  return comments.map(parseDirective).filter((d): d is Directive => d !== null && d.kind === 'ignore-file');
}

function scanComments(src: SourceText): Comment[] {
  const text = src.text;
  if (!text.includes('--') && !text.includes('/*')) return [];
  let tokens;
  try {
    tokens = scanRaw(text);
  } catch {
    return [];
  }
  const out: Comment[] = [];
  for (const t of tokens) {
    if (t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT') continue;
    const start = src.indexOfByte(t.start);
    const end = src.indexOfByte(t.end);
    out.push({ text: text.slice(start, end), span: src.span(start, end), block: t.tokenName === 'C_COMMENT' });
  }
  return out;
}

function skipTrivia(text: string, start: number, end: number, comments: Comment[]): number {
  let i = start;
  for (;;) {
    while (i < end && /\s/.test(text[i] ?? '')) i++;
    const c = comments.find((c) => c.span.start.offset === i);
    if (!c) return i;
    i = c.span.end.offset;
  }
}

/**
 * A comment belongs to the statement it precedes, to the statement it sits inside,
 * or to the statement that ends on the same line before it (a trailing comment).
 */
function attachComments(
  src: SourceText,
  comments: Comment[],
  prevEnd: number,
  start: number,
  end: number,
  nextStart: number,
): Comment[] {
  const endLine = src.position(end).line;
  return comments.filter((c) => {
    const o = c.span.start.offset;
    if (o >= prevEnd && o < start) {
      // Trailing comment of the previous statement? Then it is not ours.
      const prevLine = prevEnd > 0 ? src.position(prevEnd).line : 0;
      return !(prevEnd > 0 && c.span.start.line === prevLine);
    }
    if (o >= start && o < end) return true;
    return o >= end && o < nextStart && c.span.start.line === endLine;
  });
}

/** Statements run by a DO block (plain SQL statements and EXECUTE of a constant string). */
function doBlockStatements(src: SourceText, doStmt: ParsedStatement, firstIndex: number): ParsedStatement[] {
  const lang = doLanguage(doStmt.node);
  if (lang !== 'plpgsql') return [];
  let fn: unknown;
  try {
    fn = parsePlpgsqlRaw(doStmt.text);
  } catch {
    return [];
  }
  const queries: string[] = [];
  collectQueries(fn, queries);
  const out: ParsedStatement[] = [];
  let cursor = doStmt.span.start.offset;
  for (const q of queries) {
    let raw;
    try {
      raw = parseRaw(q);
    } catch {
      continue;
    }
    const found = src.text.indexOf(q, cursor);
    const base = found >= 0 && found < doStmt.span.end.offset ? found : -1;
    if (base >= 0) cursor = base + q.length;
    const qsrc = new SourceText(q);
    for (const s of raw.stmts) {
      const kind = Object.keys(s.stmt)[0] ?? 'Unknown';
      const startByte = s.stmt_location ?? 0;
      const qs = qsrc.indexOfByte(startByte);
      const qe = s.stmt_len ? qsrc.indexOfByte(startByte + s.stmt_len) : q.length;
      const span = base >= 0 ? src.span(base + qs, base + qe) : doStmt.span;
      out.push({
        index: firstIndex + out.length,
        kind,
        node: s.stmt[kind],
        text: q.slice(qs, qe).trim(),
        span,
        comments: [],
        directives: doStmt.directives,
        inDoBlock: doStmt.index,
      });
    }
  }
  return out;
}

function doLanguage(node: any): string {
  for (const a of node?.args ?? []) {
    const d = a?.DefElem;
    if (d?.defname === 'language') return String(d.arg?.String?.sval ?? '').toLowerCase();
  }
  return 'plpgsql';
}

function collectQueries(value: unknown, out: string[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collectQueries(v, out);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const obj = value as Record<string, any>;
  if (obj.PLpgSQL_stmt_execsql) {
    const q = obj.PLpgSQL_stmt_execsql.sqlstmt?.PLpgSQL_expr?.query;
    if (typeof q === 'string') out.push(q);
    return;
  }
  if (obj.PLpgSQL_stmt_dynexecute) {
    const q = obj.PLpgSQL_stmt_dynexecute.query?.PLpgSQL_expr?.query;
    const lit = typeof q === 'string' ? constantString(q) : null;
    if (lit) out.push(lit);
    return;
  }
  for (const k of Object.keys(obj)) collectQueries(obj[k], out);
}

/** `'ALTER TABLE ...'` -> `ALTER TABLE ...`; null for anything that is not one plain literal. */
function constantString(expr: string): string | null {
  const m = /^\s*'((?:[^']|'')*)'\s*$/.exec(expr);
  return m ? (m[1] ?? '').replace(/''/g, "'") : null;
}
