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

const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 0x80;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** ident_cont without `$` (dolq_cont). */
const isDolqCont = (c: number): boolean => isIdentStart(c) || isDigit(c);
const isIdentCont = (c: number): boolean => isDolqCont(c) || c === 36;

/**
 * Comments in `text`, or null when the scanner must decide (see the module comment). `text` is
 * expected to be the text of statements PostgreSQL parsed.
 */
export function lexComments(text: string): LexedComment[] | null {
  const out: LexedComment[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const next = i + 1 < n ? text.charCodeAt(i + 1) : -1;
    if (c === 45 /* - */ && next === 45) {
      let j = i + 2;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 10 || d === 13) break;
        j++;
      }
      out.push({ start: i, end: j, block: false });
      i = j;
    } else if (c === 47 /* / */ && next === 42 /* * */) {
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        const d = text.charCodeAt(j);
        if (d === 47 && text.charCodeAt(j + 1) === 42) {
          depth++;
          j += 2;
        } else if (d === 42 && text.charCodeAt(j + 1) === 47) {
          depth--;
          j += 2;
        } else j++;
      }
      if (depth > 0) return null;
      out.push({ start: i, end: j, block: true });
      i = j;
    } else if (c === 39 /* ' */) {
      const j = skipString(text, i + 1, false);
      if (j < 0) return null;
      i = j;
    } else if (c === 34 /* " */) {
      const j = skipIdentifier(text, i + 1);
      if (j < 0) return null;
      i = j;
    } else if (c === 36 /* $ */) {
      if (isDigit(next)) {
        // A parameter ($1), with any identifier characters after it (param_junk).
        let j = i + 1;
        while (j < n && isDigit(text.charCodeAt(j))) j++;
        if (j < n && isIdentStart(text.charCodeAt(j))) while (j < n && isIdentCont(text.charCodeAt(j))) j++;
        i = j;
        continue;
      }
      let j = i + 1;
      if (isIdentStart(next)) while (j < n && isDolqCont(text.charCodeAt(j))) j++;
      if (j < n && text.charCodeAt(j) === 36) {
        const delim = text.slice(i, j + 1);
        const close = text.indexOf(delim, j + 1);
        if (close < 0) return null;
        i = close + delim.length;
      } else {
        // dolqfailed: the `$` alone is a token, the rest is lexed again.
        i++;
      }
    } else if (isIdentStart(c)) {
      // String prefixes: e'' (backslash escapes), b'' x'' n'' u&'' (quote rules of a plain string), u&"".
      const lower = c | 0x20;
      if (next === 39 && (lower === 101 || lower === 98 || lower === 120 || lower === 110)) {
        const j = skipString(text, i + 2, lower === 101);
        if (j < 0) return null;
        i = j;
        continue;
      }
      if (lower === 117 && next === 38 /* & */) {
        const q = i + 2 < n ? text.charCodeAt(i + 2) : -1;
        if (q === 39 || q === 34) {
          const j = q === 39 ? skipString(text, i + 3, false) : skipIdentifier(text, i + 3);
          if (j < 0) return null;
          i = j;
          continue;
        }
      }
      let j = i + 1;
      while (j < n && isIdentCont(text.charCodeAt(j))) j++;
      i = j;
    } else if (isDigit(c)) {
      // Numbers, with the identifier characters the scanner takes as junk of the number.
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (isDigit(d) || d === 95 || d === 46) j++;
        else break;
      }
      if (j < n && isIdentStart(text.charCodeAt(j))) while (j < n && isIdentCont(text.charCodeAt(j))) j++;
      i = j;
    } else {
      i++;
    }
  }
  return out;
}

/**
 * Past the end of a quoted string whose body starts at `from` (after the opening quote), with its
 * continuations; -1 when it does not end, or when a continuation spans a comment (left to the
 * scanner).
 */
function skipString(text: string, from: number, backslashEscapes: boolean): number {
  const n = text.length;
  let i = from;
  for (;;) {
    if (i >= n) return -1;
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */ && backslashEscapes) {
      i += 2;
    } else if (c === 39) {
      if (text.charCodeAt(i + 1) === 39) {
        i += 2;
        continue;
      }
      // The closing quote; a quote after whitespace with a newline continues the string.
      const cont = continuation(text, i + 1);
      if (cont === null) return i + 1;
      if (cont.comment) return -1;
      i = cont.quote + 1;
    } else i++;
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
