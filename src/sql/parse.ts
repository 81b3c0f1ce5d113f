/**
 * Parse a migration file into statements with source spans, comments and
 * directives. DDL inside DO blocks is parsed too, because it runs when the
 * migration runs.
 */
import { parseDirective, type Comment, type Directive } from './comments.js';
import { lexComments } from './lex-comments.js';
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
  // A file of only comments and whitespace is an empty migration, not an error.
  const lead = lexTrivia(src, 0, text.length);
  if (lead.end === text.length) return { path, text, statements: [], comments: lead.comments, directives: fileDirectives(lead.comments), error: null };
  let raw;
  try {
    raw = parseRaw(text);
  } catch (e) {
    const comments = scanComments(src);
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

  // Comments: between statements only whitespace, semicolons and comments can occur, so a
  // trivial lexer finds them exactly; inside a statement (strings, dollar quotes) the real
  // scanner is asked, and only for statements that contain a comment marker at all.
  const comments: Comment[] = [];
  const pieces: Piece[] = [];
  let cursor = 0;
  for (const s of raw.stmts) {
    const kind = Object.keys(s.stmt)[0] ?? 'Unknown';
    const startByte = s.stmt_location ?? 0;
    const rawStart = src.indexOfByte(startByte);
    const end = s.stmt_len ? src.indexOfByte(startByte + s.stmt_len) : text.length;
    const gap = lexTrivia(src, Math.min(cursor, rawStart), end);
    comments.push(...gap.comments);
    const start = Math.max(gap.end, rawStart);
    let e = end;
    while (e > start && /\s|;/.test(text[e - 1] ?? '')) e--;
    const body = text.slice(start, e);
    if (body.includes('--') || body.includes('/*')) comments.push(...statementComments(src, start, e, body));
    pieces.push({ kind, node: s.stmt[kind], start, end: e });
    cursor = e;
  }
  comments.push(...lexTrivia(src, cursor, text.length).comments);

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


function fileDirectives(comments: Comment[]): Directive[] {
  return comments.map(parseDirective).filter((d): d is Directive => d !== null && d.kind === 'ignore-file');
}

/**
 * Comments inside a parsed statement, text[from, to) = body: lexComments follows the scanner's
 * rules without a call into WASM, and leaves what it does not follow to the scanner.
 */
function statementComments(src: SourceText, from: number, to: number, body: string): Comment[] {
  const lexed = lexComments(body);
  if (!lexed) return scanComments(src, from, to);
  const out: Comment[] = [];
  for (const c of lexed) {
    const start = from + c.start;
    const end = from + c.end;
    out.push({ text: src.text.slice(start, end), span: src.span(start, end), block: c.block });
  }
  return out;
}

/** Comments in text[from, to) by PostgreSQL's own scanner (exact inside strings and dollar quotes). */
function scanComments(src: SourceText, from = 0, to = src.text.length): Comment[] {
  const piece = src.text.slice(from, to);
  if (!piece.includes('--') && !piece.includes('/*')) return [];
  let tokens;
  try {
    tokens = scanRaw(piece);
  } catch {
    return [];
  }
  const local = from === 0 && to === src.text.length ? src : new SourceText(piece);
  const out: Comment[] = [];
  for (const t of tokens) {
    if (t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT') continue;
    const start = from + local.indexOfByte(t.start);
    const end = from + local.indexOfByte(t.end);
    out.push({ text: src.text.slice(start, end), span: src.span(start, end), block: t.tokenName === 'C_COMMENT' });
  }
  return out;
}

/**
 * Skip whitespace, semicolons and comments from `from`; stop at the first other character
 * (or `to`). Only valid where no string can start, i.e. between statements.
 */
function lexTrivia(src: SourceText, from: number, to: number): { end: number; comments: Comment[] } {
  const text = src.text;
  const comments: Comment[] = [];
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11 || c === 59) {
      i++;
    } else if (c === 45 && text.charCodeAt(i + 1) === 45) {
      let j = i + 2;
      while (j < text.length && text.charCodeAt(j) !== 10 && text.charCodeAt(j) !== 13) j++;
      comments.push({ text: text.slice(i, j), span: src.span(i, j), block: false });
      i = j;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
      // Block comments nest in PostgreSQL.
      let depth = 1;
      let j = i + 2;
      while (j < text.length && depth > 0) {
        if (text.charCodeAt(j) === 47 && text.charCodeAt(j + 1) === 42) {
          depth++;
          j += 2;
        } else if (text.charCodeAt(j) === 42 && text.charCodeAt(j + 1) === 47) {
          depth--;
          j += 2;
        } else j++;
      }
      comments.push({ text: text.slice(i, j), span: src.span(i, j), block: true });
      i = j;
    } else break;
  }
  return { end: Math.min(i, to), comments };
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
  const queries: BlockQuery[] = [];
  collectQueries(fn, queries);
  const commits = commitsInside(fn);
  const out: ParsedStatement[] = [];
  let cursor = doStmt.span.start.offset;
  for (const bq of queries) {
    const q = bq.query;
    let raw;
    try {
      raw = parseRaw(bq.perform ? `SELECT ${q}` : q);
    } catch {
      continue;
    }
    const found = src.text.indexOf(q, cursor);
    const base = found >= 0 && found < doStmt.span.end.offset ? found : -1;
    if (base >= 0) cursor = base + q.length;
    const qtext = bq.perform ? `SELECT ${q}` : q;
    const shift = bq.perform ? 'SELECT '.length : 0;
    const qsrc = new SourceText(qtext);
    for (const s of raw.stmts) {
      const kind = Object.keys(s.stmt)[0] ?? 'Unknown';
      const startByte = s.stmt_location ?? 0;
      const qs = Math.max(0, qsrc.indexOfByte(startByte) - shift);
      const qe = (s.stmt_len ? qsrc.indexOfByte(startByte + s.stmt_len) : qtext.length) - shift;
      const span = base >= 0 ? src.span(base + qs, base + qe) : doStmt.span;
      out.push({
        index: firstIndex + out.length,
        kind,
        node: s.stmt[kind],
        text: qtext.slice(qs + shift, qe + shift).trim(),
        span,
        comments: [],
        directives: doStmt.directives,
        inDoBlock: doStmt.index,
        doLoop: bq.inLoop ? { commits } : null,
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

interface BlockQuery {
  query: string;
  /** Inside a LOOP / WHILE / FOR of the block. */
  inLoop: boolean;
  /** A PERFORM expression (run as SELECT). */
  perform: boolean;
}

const LOOPS = new Set(['PLpgSQL_stmt_loop', 'PLpgSQL_stmt_while', 'PLpgSQL_stmt_fori', 'PLpgSQL_stmt_fors', 'PLpgSQL_stmt_forc', 'PLpgSQL_stmt_dynfors', 'PLpgSQL_stmt_foreach_a']);

function collectQueries(value: unknown, out: BlockQuery[], inLoop = false): void {
  if (Array.isArray(value)) {
    for (const v of value) collectQueries(v, out, inLoop);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const obj = value as Record<string, any>;
  if (obj.PLpgSQL_stmt_execsql) {
    const q = obj.PLpgSQL_stmt_execsql.sqlstmt?.PLpgSQL_expr?.query;
    if (typeof q === 'string') out.push({ query: q, inLoop, perform: false });
    return;
  }
  if (obj.PLpgSQL_stmt_dynexecute) {
    const q = obj.PLpgSQL_stmt_dynexecute.query?.PLpgSQL_expr?.query;
    const lit = typeof q === 'string' ? constantString(q) : null;
    if (lit) out.push({ query: lit, inLoop, perform: false });
    return;
  }
  if (obj.PLpgSQL_stmt_perform) {
    // PERFORM set_config('lock_timeout', ...) changes settings like SET does.
    const q = obj.PLpgSQL_stmt_perform.expr?.PLpgSQL_expr?.query;
    // The plpgsql parser reports it as "SELECT <expression>".
    if (typeof q === 'string') out.push({ query: q.replace(/^\s*SELECT\s+/i, ''), inLoop, perform: true });
    return;
  }
  for (const k of Object.keys(obj)) collectQueries(obj[k], out, inLoop || LOOPS.has(k));
}

/** Does the block COMMIT (PostgreSQL 11+ procedures and DO blocks may), making each loop pass its own transaction? */
function commitsInside(value: unknown): boolean {
  let found = false;
  const visit = (v: unknown): void => {
    if (found || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(visit);
    const o = v as Record<string, unknown>;
    if ('PLpgSQL_stmt_commit' in o) {
      found = true;
      return;
    }
    for (const k of Object.keys(o)) visit(o[k]);
  };
  visit(value);
  return found;
}

/** `'ALTER TABLE ...'` -> `ALTER TABLE ...`; null for anything that is not one plain literal. */
function constantString(expr: string): string | null {
  const m = /^\s*'((?:[^']|'')*)'\s*$/.exec(expr);
  return m ? (m[1] ?? '').replace(/''/g, "'") : null;
}
