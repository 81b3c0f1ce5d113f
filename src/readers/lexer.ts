/**
 * A small lexer for application source: where the comments are and what the
 * string literals say (escapes cooked, interpolations replaced by a `$1`
 * placeholder), with a map from every character of a cooked literal back to its
 * offset in the file. Good enough to find SQL in code; not a full tokenizer.
 *
 * Families: 'js' (TypeScript/JavaScript: '', "", `` with ${}), 'c' (Java, C#,
 * Kotlin, PHP...: '', "", Java """ text blocks), 'go' ("" and raw ``),
 * 'python' (prefixes, triple quotes, f-strings, # comments), 'ruby' (# and
 * =begin comments, '' "" #{} and heredocs), 'sql' (a query file).
 */

export type Lang = 'js' | 'c' | 'go' | 'python' | 'ruby' | 'sql';

export function languageOf(file: string): Lang {
  const ext = /\.([A-Za-z0-9]+)$/.exec(file)?.[1]?.toLowerCase() ?? '';
  switch (ext) {
    case 'ts':
    case 'tsx':
    case 'mts':
    case 'cts':
    case 'js':
    case 'jsx':
    case 'mjs':
    case 'cjs':
    case 'vue':
    case 'svelte':
      return 'js';
    case 'go':
      return 'go';
    case 'py':
    case 'pyi':
      return 'python';
    case 'rb':
    case 'rake':
      return 'ruby';
    case 'sql':
    case 'psql':
    case 'pgsql':
      return 'sql';
    default:
      return 'c';
  }
}

export interface Literal {
  /** Offsets of the literal in the file, quotes included. */
  start: number;
  end: number;
  /** The value, escapes cooked, interpolations as `$1`. */
  text: string;
  /** map[i] = file offset of text[i]; map[text.length] = end of content. */
  map: number[];
  /** Python: a bare string statement on its own line (docstring-like). */
  docLike: boolean;
}

export interface Lexed {
  /** [start, end) of each comment. */
  comments: Array<[number, number]>;
  literals: Literal[];
}

class Cooker {
  text = '';
  map: number[] = [];
  push(s: string, at: number): void {
    for (let k = 0; k < s.length; k++) this.map.push(at);
    this.text += s;
  }
  done(end: number): { text: string; map: number[] } {
    this.map.push(end);
    return { text: this.text, map: this.map };
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', v: '\v' };

export function lex(text: string, lang: Lang): Lexed {
  switch (lang) {
    case 'python':
      return lexPython(text);
    case 'ruby':
      return lexRuby(text);
    case 'sql':
      return lexSql(text);
    default:
      return lexCLike(text, lang);
  }
}

// ---------------------------------------------------------------------------
// C-like: JS/TS, Go, Java & co.
// ---------------------------------------------------------------------------

function lexCLike(text: string, lang: 'js' | 'c' | 'go'): Lexed {
  const out: Lexed = { comments: [], literals: [] };
  scanCode(text, 0, lang, out, false);
  return out;
}

/**
 * Scan code from `i`. With `untilBrace`, stop at the `}` closing a `${`
 * interpolation and return the index after it; otherwise run to the end.
 */
function scanCode(text: string, i: number, lang: 'js' | 'c' | 'go', out: Lexed, untilBrace: boolean): number {
  const n = text.length;
  let depth = 0;
  let lastSignificant = '';
  while (i < n) {
    const c = text[i]!;
    const d = text[i + 1];
    if (c === '/' && d === '/') {
      const e = lineEnd(text, i);
      out.comments.push([i, e]);
      i = e;
      continue;
    }
    if (c === '/' && d === '*') {
      const e = text.indexOf('*/', i + 2);
      const end = e < 0 ? n : e + 2;
      out.comments.push([i, end]);
      i = end;
      continue;
    }
    if (lang === 'c' && c === '"' && text.startsWith('"""', i)) {
      i = cookedString(text, i, '"""', out, { escapes: true });
      lastSignificant = '"';
      continue;
    }
    if (c === '"' || c === "'") {
      i = cookedString(text, i, c, out, { escapes: true, stopAtNewline: true });
      lastSignificant = c;
      continue;
    }
    if (c === '`') {
      if (lang === 'go') i = cookedString(text, i, '`', out, { escapes: false });
      else if (lang === 'js') i = templateLiteral(text, i, out);
      else i++;
      lastSignificant = '`';
      continue;
    }
    if (lang === 'js' && c === '/' && /^$|[(,=:[!&|?{};+\-*%<>~^]/.test(lastSignificant)) {
      const e = regexLiteralEnd(text, i);
      if (e > 0) {
        i = e;
        lastSignificant = '/';
        continue;
      }
    }
    if (untilBrace) {
      if (c === '{') depth++;
      else if (c === '}') {
        if (depth === 0) return i + 1;
        depth--;
      }
    }
    if (!/\s/.test(c)) lastSignificant = /[\w$]/.test(c) ? 'a' : c;
    i++;
  }
  return n;
}

function lineEnd(text: string, i: number): number {
  const e = text.indexOf('\n', i);
  return e < 0 ? text.length : e;
}

function regexLiteralEnd(text: string, i: number): number {
  let inClass = false;
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j]!;
    if (c === '\n') return -1;
    if (c === '\\') {
      j++;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) {
      let k = j + 1;
      while (k < text.length && /[a-z]/i.test(text[k]!)) k++;
      return k;
    }
  }
  return -1;
}

interface StringOpts {
  escapes: boolean;
  stopAtNewline?: boolean;
  /** Interpolation opener inside the string: '${' (JS), '#{' (Ruby), '{' (Python f-strings). */
  interp?: '${' | '#{' | '{';
  /** Language of code inside interpolations (for nested strings). */
  docLike?: boolean;
}

/** A quoted string starting at `i` (the opening quote); returns the index after the closing quote. */
function cookedString(text: string, i: number, quote: string, out: Lexed, opts: StringOpts): number {
  const start = i;
  let j = i + quote.length;
  const cook = new Cooker();
  const n = text.length;
  while (j < n) {
    if (text.startsWith(quote, j)) {
      const r = cook.done(j);
      out.literals.push({ start, end: j + quote.length, text: r.text, map: r.map, docLike: Boolean(opts.docLike) });
      return j + quote.length;
    }
    const c = text[j]!;
    if (c === '\n' && opts.stopAtNewline) break;
    if (c === '\\' && opts.escapes) {
      const e = text[j + 1];
      if (e === undefined) break;
      if (e === '\n') {
        j += 2;
        continue;
      }
      cook.push(SIMPLE_ESCAPES[e] ?? e, j);
      j += 2;
      continue;
    }
    if (c === '\\' && !opts.escapes && quote !== '`' && text[j + 1] === quote[0]) {
      // raw strings: a backslash still keeps the quote from ending the string (Python r'').
      cook.push(c + text[j + 1], j);
      j += 2;
      continue;
    }
    if (opts.interp === '{' && c === '{') {
      if (text[j + 1] === '{') {
        cook.push('{', j);
        j += 2;
        continue;
      }
      const close = matchBrace(text, j + 1);
      cook.push('$1', j);
      j = close;
      continue;
    }
    if (opts.interp === '{' && c === '}' && text[j + 1] === '}') {
      cook.push('}', j);
      j += 2;
      continue;
    }
    if (opts.interp === '#{' && c === '#' && text[j + 1] === '{') {
      const close = matchBrace(text, j + 2);
      cook.push('$1', j);
      j = close;
      continue;
    }
    cook.push(c, j);
    j++;
  }
  // Unterminated: keep what we have, continue after it.
  const r = cook.done(j);
  out.literals.push({ start, end: j, text: r.text, map: r.map, docLike: false });
  return Math.max(j, i + 1);
}

/** Index after the `}` that closes a brace opened just before `i` (nested braces and strings skipped). */
function matchBrace(text: string, i: number): number {
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text[j]!;
    if (c === '"' || c === "'") {
      const q = c;
      for (j++; j < text.length && text[j] !== q && text[j] !== '\n'; j++) if (text[j] === '\\') j++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return j + 1;
      depth--;
    }
  }
  return text.length;
}

function templateLiteral(text: string, i: number, out: Lexed): number {
  const start = i;
  let j = i + 1;
  const cook = new Cooker();
  const n = text.length;
  while (j < n) {
    const c = text[j]!;
    if (c === '`') {
      const r = cook.done(j);
      out.literals.push({ start, end: j + 1, text: r.text, map: r.map, docLike: false });
      return j + 1;
    }
    if (c === '\\') {
      const e = text[j + 1] ?? '';
      cook.push(SIMPLE_ESCAPES[e] ?? e, j);
      j += 2;
      continue;
    }
    if (c === '$' && text[j + 1] === '{') {
      cook.push('$1', j);
      // Nested code (and nested literals) inside the interpolation.
      j = scanCode(text, j + 2, 'js', out, true);
      continue;
    }
    cook.push(c, j);
    j++;
  }
  const r = cook.done(n);
  out.literals.push({ start, end: n, text: r.text, map: r.map, docLike: false });
  return n;
}

// ---------------------------------------------------------------------------
// Python
// ---------------------------------------------------------------------------

function lexPython(text: string): Lexed {
  const out: Lexed = { comments: [], literals: [] };
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i]!;
    if (c === '#') {
      const e = lineEnd(text, i);
      out.comments.push([i, e]);
      i = e;
      continue;
    }
    const m = /^([rRbBuUfF]{0,2})("""|'''|"|')/.exec(text.slice(i, i + 5));
    if (m && (m[1] === '' || i === 0 || !/[\w]/.test(text[i - 1]!))) {
      const prefix = m[1]!.toLowerCase();
      const quote = m[2]!;
      const raw = prefix.includes('r');
      const fstr = prefix.includes('f');
      const lineStart = text.lastIndexOf('\n', i - 1) + 1;
      const atLineStart = /^\s*$/.test(text.slice(lineStart, i));
      const before = out.literals.length;
      const end = cookedString(text, i + prefix.length, quote, out, {
        escapes: !raw,
        stopAtNewline: quote.length === 1,
        ...(fstr ? { interp: '{' as const } : {}),
      });
      const lit = out.literals[before];
      if (lit) {
        lit.start = i;
        const after = text.slice(end, lineEnd(text, end));
        lit.docLike = quote.length === 3 && atLineStart && /^\s*(#.*)?$/.test(after);
      }
      i = end;
      continue;
    }
    // Skip identifiers whole so a letter inside a name is not read as a string prefix.
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /\w/.test(text[j]!)) j++;
      i = j;
      continue;
    }
    i++;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Ruby
// ---------------------------------------------------------------------------

function lexRuby(text: string): Lexed {
  const out: Lexed = { comments: [], literals: [] };
  const n = text.length;
  let i = 0;
  const heredocs: Array<{ id: string; squiggly: boolean; interp: boolean }> = [];
  while (i < n) {
    const c = text[i]!;
    if (c === '\n' && heredocs.length > 0) {
      i++;
      for (const h of heredocs.splice(0)) i = heredocBody(text, i, h, out);
      continue;
    }
    if ((i === 0 || text[i - 1] === '\n') && text.startsWith('=begin', i)) {
      const e = text.indexOf('\n=end', i);
      const end = e < 0 ? n : lineEnd(text, e + 1);
      out.comments.push([i, end]);
      i = end;
      continue;
    }
    if (c === '#') {
      const e = lineEnd(text, i);
      out.comments.push([i, e]);
      i = e;
      continue;
    }
    const h = /^<<([~-]?)(['"]?)([A-Z_][A-Za-z0-9_]*)\2/.exec(text.slice(i, i + 80));
    if (h) {
      heredocs.push({ id: h[3]!, squiggly: h[1] !== '', interp: h[2] !== "'" });
      i += h[0].length;
      continue;
    }
    if (c === '"') {
      i = cookedString(text, i, '"', out, { escapes: true, interp: '#{' });
      continue;
    }
    if (c === "'") {
      i = cookedString(text, i, "'", out, { escapes: true });
      continue;
    }
    i++;
  }
  return out;
}

function heredocBody(text: string, i: number, h: { id: string; squiggly: boolean; interp: boolean }, out: Lexed): number {
  const cook = new Cooker();
  const start = i;
  let j = i;
  while (j < text.length) {
    const e = lineEnd(text, j);
    const line = text.slice(j, e);
    if ((h.squiggly ? line.trim() : line) === h.id) {
      const r = cook.done(j);
      out.literals.push({ start, end: e, text: r.text, map: r.map, docLike: false });
      return e;
    }
    for (let k = j; k <= e && k < text.length; k++) {
      const c = text[k]!;
      if (h.interp && c === '#' && text[k + 1] === '{') {
        const close = matchBrace(text, k + 2);
        cook.push('$1', k);
        k = close - 1;
        continue;
      }
      cook.push(c, k);
    }
    j = e + 1;
  }
  const r = cook.done(text.length);
  out.literals.push({ start, end: text.length, text: r.text, map: r.map, docLike: false });
  return text.length;
}

// ---------------------------------------------------------------------------
// SQL query files: one literal (the whole file), comments located for the fallback.
// ---------------------------------------------------------------------------

function lexSql(text: string): Lexed {
  const out: Lexed = { comments: [], literals: [] };
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i]!;
    if (c === '-' && text[i + 1] === '-') {
      const e = lineEnd(text, i);
      out.comments.push([i, e]);
      i = e;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const e = text.indexOf('*/', i + 2);
      const end = e < 0 ? n : e + 2;
      out.comments.push([i, end]);
      i = end;
      continue;
    }
    if (c === "'" || c === '"') {
      const e = text.indexOf(c, i + 1);
      i = e < 0 ? n : e + 1;
      continue;
    }
    const dollar = c === '$' ? /^\$([A-Za-z_]\w*)?\$/.exec(text.slice(i, i + 64)) : null;
    if (dollar) {
      const e = text.indexOf(dollar[0], i + dollar[0].length);
      i = e < 0 ? n : e + dollar[0].length;
      continue;
    }
    i++;
  }
  const map = new Array<number>(n + 1);
  for (let k = 0; k <= n; k++) map[k] = k;
  out.literals.push({ start: 0, end: n, text, map, docLike: false });
  return out;
}
