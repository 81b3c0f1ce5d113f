/**
 * Token-level access to one statement's source text. The planner keeps the
 * user's own expressions (CHECK bodies, DEFAULT and USING expressions, WHERE
 * clauses) verbatim by slicing them out of the statement at token boundaries;
 * every identifier it adds itself goes through src/sql/quote.ts.
 */
import { parseRaw, scanRaw, type RawToken } from './parser.js';
import { SourceText } from './source.js';
import { walk } from './ast.js';

export interface Tok {
  /** String indexes into the statement text. */
  start: number;
  end: number;
  text: string;
  keyword: string | null;
  depth: number;
}

export class StatementText {
  readonly src: SourceText;
  readonly tokens: Tok[];

  constructor(readonly text: string) {
    this.src = new SourceText(text);
    let raw: RawToken[] = [];
    try {
      raw = scanRaw(text);
    } catch {
      raw = [];
    }
    let depth = 0;
    this.tokens = raw.map((t) => {
      const start = this.src.indexOfByte(t.start);
      const end = this.src.indexOfByte(t.end);
      const tx = text.slice(start, end);
      if (tx === ')' || tx === ']') depth--;
      const tok: Tok = { start, end, text: tx, keyword: t.keywordKind > 0 ? tx.toUpperCase() : null, depth };
      if (tx === '(' || tx === '[') depth++;
      return tok;
    });
  }

  /** String index of a parse-node byte location (the statement was parsed on its own). */
  index(byteLocation: number): number {
    return this.src.indexOfByte(byteLocation);
  }

  /** First token at or after `from` with the given keyword at the given depth. */
  findKeyword(keyword: string, from = 0, depth: number | null = 0): Tok | undefined {
    return this.tokens.find((t) => t.start >= from && t.keyword === keyword && (depth === null || t.depth === depth));
  }

  /** Index of the token starting at `at` (or the first after it). */
  tokenAt(at: number): number {
    const i = this.tokens.findIndex((t) => t.start >= at);
    return i < 0 ? this.tokens.length : i;
  }

  /** Text of the balanced parenthesis group starting at the first `(` at or after `from` (without the parens). */
  parenGroup(from: number): { inner: string; start: number; end: number } | null {
    const i = this.tokens.findIndex((t) => t.start >= from && t.text === '(');
    if (i < 0) return null;
    const open = this.tokens[i]!;
    for (let j = i + 1; j < this.tokens.length; j++) {
      const t = this.tokens[j]!;
      if (t.text === ')' && t.depth === open.depth) return { inner: this.text.slice(open.end, t.start).trim(), start: open.start, end: t.end };
    }
    return null;
  }

  /**
   * An expression (b_expr) starting at string index `from`: runs until a
   * top-level (same depth) comma, semicolon or one of `stops`.
   */
  exprFrom(from: number, stops: readonly string[]): { text: string; end: number } {
    const i = this.tokenAt(from);
    const base = this.tokens[i]?.depth ?? 0;
    let end = this.text.length;
    for (let j = i; j < this.tokens.length; j++) {
      const t = this.tokens[j]!;
      if (t.depth < base) {
        end = t.start;
        break;
      }
      if (t.depth === base && j > i && (t.text === ',' || t.text === ';' || (t.keyword !== null && stops.includes(t.keyword)))) {
        end = t.start;
        break;
      }
    }
    return { text: this.text.slice(from, end).trim(), end };
  }

  /** Split `ALTER TABLE name cmd1, cmd2` into the command texts. */
  alterCommands(): { head: string; cmds: string[] } | null {
    // The commands start after the relation name: the first top-level keyword among the command verbs.
    const verbs = new Set(['ADD', 'DROP', 'ALTER', 'VALIDATE', 'RENAME', 'SET', 'RESET', 'ENABLE', 'DISABLE', 'CLUSTER', 'OWNER', 'REPLICA', 'INHERIT', 'NO', 'ATTACH', 'DETACH', 'FORCE', 'OF', 'NOT']);
    const tableTok = this.tokens.findIndex((t) => t.keyword === 'TABLE');
    if (tableTok < 0) return null;
    let j = tableTok + 1;
    // skip IF EXISTS / ONLY, then the (possibly qualified) name
    while (this.tokens[j] && ['IF', 'EXISTS', 'ONLY'].includes(this.tokens[j]!.keyword ?? '')) j++;
    j++; // name
    while (this.tokens[j] && (this.tokens[j]!.text === '.' || this.tokens[j]!.text === '*')) j += this.tokens[j]!.text === '.' ? 2 : 1;
    const first = this.tokens[j];
    if (!first || !verbs.has(first.keyword ?? '')) return null;
    const cmds: string[] = [];
    let start = first.start;
    for (let k = j; k < this.tokens.length; k++) {
      const t = this.tokens[k]!;
      if (t.depth === 0 && t.text === ',') {
        cmds.push(this.text.slice(start, t.start).trim());
        start = t.end;
      }
    }
    cmds.push(this.text.slice(start).trim());
    return { head: this.text.slice(0, first.start).trim(), cmds };
  }
}

/** Smallest byte location found in a parse subtree (where an expression starts). */
export function minLocation(node: unknown): number | null {
  let min: number | null = null;
  const visit = (v: any) => {
    if (v && typeof v === 'object' && typeof v.location === 'number' && v.location >= 0) {
      if (min === null || v.location < min) min = v.location;
    }
  };
  visit(node);
  walk(node, (_k, v) => {
    visit(v);
  });
  return min;
}

/** Parse one statement's text alone, so node locations are relative to it. */
export function parseOne(text: string): { kind: string; node: any } | null {
  try {
    const r = parseRaw(text);
    const s = r.stmts[0];
    if (!s || r.stmts.length !== 1) return null;
    const kind = Object.keys(s.stmt)[0] ?? 'Unknown';
    return { kind, node: (s.stmt as any)[kind] };
  } catch {
    return null;
  }
}

/** A dollar-quote tag that does not occur in `body`. */
export function dollarTag(body: string, base = 'ddlg'): string {
  let tag = `$${base}$`;
  let i = 0;
  while (body.includes(tag)) tag = `$${base}${++i}$`;
  return tag;
}

/** Keywords that end a column's type or DEFAULT expression in a column definition. */
export const COLUMN_STOPS = ['NOT', 'NULL', 'DEFAULT', 'CONSTRAINT', 'CHECK', 'REFERENCES', 'UNIQUE', 'PRIMARY', 'GENERATED', 'COMPRESSION', 'STORAGE', 'USING', 'COLLATE'];

/**
 * The type and DEFAULT texts of `ALTER TABLE t ADD [COLUMN] [IF NOT EXISTS] name type ... DEFAULT expr ...`
 * as written (null when the statement is not one single ADD COLUMN).
 */
export function addColumnParts(statement: string): { type: string; default: string | null } | null {
  const st = new StatementText(statement);
  const add = st.findKeyword('ADD');
  if (!add) return null;
  let i = st.tokens.indexOf(add) + 1;
  const kw = (k: string) => st.tokens[i]?.keyword === k;
  if (kw('COLUMN')) i++;
  if (kw('IF')) i += 3;
  const name = st.tokens[i];
  const next = st.tokens[i + 1];
  if (!name || !next) return null;
  const type = st.exprFrom(next.start, COLUMN_STOPS).text.trim();
  const dflt = st.findKeyword('DEFAULT', next.start);
  return { type, default: dflt ? st.exprFrom(dflt.end, COLUMN_STOPS).text.trim() || null : null };
}
