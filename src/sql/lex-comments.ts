/**
 * The comments in a piece of SQL, found the way PostgreSQL's scanner (src/backend/parser/scan.l)
 * finds them, without a round trip into the WASM scanner: only the lexical states that can hide a
 * comment marker are followed (quoted strings of every prefix, quoted identifiers, dollar quotes,
 * nested block comments, identifiers and numbers, whose `$` and prefixes decide where a string or
 * a dollar quote starts). Anything this lexer does not follow exactly (a string continued across a
 * comment, where scan.l's quotecontinue and libpg-query's comment tokens meet; a string or
 * comment left open) returns null, and the caller asks the real scanner.
 * test/sql/lex-comments.test.ts compares it with the scanner on tricky inputs and every fixture.
 */

/** A comment's [start, end) string indexes in the piece, as the scanner's SQL_COMMENT / C_COMMENT token. */
export interface LexedComment {
  start: number;
  end: number;
  block: boolean;
}

const IDENT = '[A-Za-z_\\u0080-\\uffff][A-Za-z0-9_$\\u0080-\\uffff]*';

/**
 * The next place where lexing matters, as the scanner decides there: a comment, a quote (with its
 * prefix: e'', b'', x'', n'', u&'', u&""), a parameter or a dollar-quote delimiter, or an
 * identifier or number (consumed whole, so that a letter or `$` inside one starts nothing). The
 * alternatives are tried in this order at each place; the characters between are skipped by the
 * regular expression engine rather than a character loop (which lint's --no-opt leaves
 * unoptimised).
 */
const NEXT = new RegExp(
  [
    '--[^\\n\\r]*',
    '\\/\\*',
    "[eEbBxXnN]'",
    '[uU]&[\'"]',
    "'",
    '"',
    `\\$[0-9]+(?:${IDENT})?`,
    '\\$(?:[A-Za-z_\\u0080-\\uffff][A-Za-z0-9_\\u0080-\\uffff]*)?\\$',
    IDENT,
    `[0-9][0-9_.]*(?:${IDENT})?`,
  ].join('|'),
);

/**
 * Comments in `text`, or null when the scanner must decide (see the module comment). `text` is
 * expected to be the text of statements PostgreSQL parsed.
 */
export function lexComments(text: string): LexedComment[] | null {
  const out: LexedComment[] = [];
  const next = new RegExp(NEXT.source, 'g');
  let m: RegExpExecArray | null;
  while ((m = next.exec(text)) !== null) {
    const i = m.index;
    const tok = m[0];
    const c = tok.charCodeAt(0);
    let j: number;
    if (c === 45 /* - */) {
      out.push({ start: i, end: i + tok.length, block: false });
      continue;
    } else if (c === 47 /* / */) {
      j = skipBlockComment(text, i + 2);
      if (j < 0) return null;
      out.push({ start: i, end: j, block: true });
    } else if (c === 39 /* ' */) {
      j = skipString(text, i + 1, false);
    } else if (c === 34 /* " */) {
      j = skipIdentifier(text, i + 1);
    } else if (c === 36 /* $ */) {
      // A parameter ($1, with any identifier characters after it: param_junk) is skipped whole.
      const second = tok.charCodeAt(1);
      if (second >= 48 && second <= 57) continue;
      const close = text.indexOf(tok, i + tok.length);
      if (close < 0) return null;
      j = close + tok.length;
    } else if (tok.length >= 2 && tok.charCodeAt(tok.length - 1) === 39 && (tok.length === 2 || tok.charCodeAt(1) === 38)) {
      // e'' (backslash escapes), b'' x'' n'' u&'' (a plain string's quoting).
      j = skipString(text, i + tok.length, (c | 0x20) === 101);
    } else if (tok.length === 3 && tok.charCodeAt(1) === 38 && tok.charCodeAt(2) === 34) {
      j = skipIdentifier(text, i + 3);
    } else {
      // An identifier or a number, consumed whole.
      continue;
    }
    if (j < 0) return null;
    next.lastIndex = j;
  }
  return out;
}

/** Past the `*\/` that closes a block comment whose body starts at `from` (they nest); -1 when none does. */
function skipBlockComment(text: string, from: number): number {
  const marks = /\/\*|\*\//g;
  marks.lastIndex = from;
  let depth = 1;
  let m: RegExpExecArray | null;
  while ((m = marks.exec(text)) !== null) {
    depth += m[0] === '/*' ? 1 : -1;
    if (depth === 0) return m.index + 2;
  }
  return -1;
}

/**
 * Past the end of a quoted string whose body starts at `from` (after the opening quote), with its
 * continuations; -1 when it does not end, or when a continuation spans a comment (left to the
 * scanner).
 */
function skipString(text: string, from: number, backslashEscapes: boolean): number {
  const stop = backslashEscapes ? /[\\']/g : /'/g;
  stop.lastIndex = from;
  for (;;) {
    const m = stop.exec(text);
    if (m === null) return -1;
    const i = m.index;
    if (m[0] !== "'" || text.charCodeAt(i + 1) === 39) {
      // A backslash escape (E'' strings) or a doubled quote.
      stop.lastIndex = i + 2;
      continue;
    }
    // The closing quote; a quote after whitespace with a newline continues the string.
    const cont = continuation(text, i + 1);
    if (cont === null) return i + 1;
    if (cont.comment) return -1;
    stop.lastIndex = cont.quote + 1;
  }
}

/** Past the closing `"` of a quoted identifier whose body starts at `from`; -1 when it does not close. */
function skipIdentifier(text: string, from: number): number {
  const n = text.length;
  let i = from;
  for (;;) {
    const close = text.indexOf('"', i);
    if (close < 0) return -1;
    if (close + 1 < n && text.charCodeAt(close + 1) === 34) {
      i = close + 2;
      continue;
    }
    return close + 1;
  }
}

/**
 * scan.l's quotecontinue after a string's closing quote at `from - 1`: whitespace and comments
 * holding at least one newline, then a quote (PostgreSQL 17: whitespace_with_newline is
 * non_newline_whitespace* newline special_whitespace*, and space is [ \t\n\r\f\v]). Written
 * out rather than as a regular expression, which backtracks exponentially over a line of dashes.
 */
function continuation(text: string, from: number): { quote: number; comment: boolean } | null {
  const n = text.length;
  let newline = false;
  let comment = false;
  let j = from;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c === 32 || c === 9 || c === 12 || c === 11) j++;
    else if (c === 10 || c === 13) {
      newline = true;
      j++;
    } else if (c === 45 && text.charCodeAt(j + 1) === 45) {
      comment = true;
      j += 2;
      while (j < n && text.charCodeAt(j) !== 10 && text.charCodeAt(j) !== 13) j++;
    } else if (c === 39 && newline) return { quote: j, comment };
    else return null;
  }
  return null;
}
