/**
 * Turning string literals found in code into SQL the parser accepts: adjacent
 * literals joined ("a " + "b", Python implicit concatenation), driver
 * placeholders (?, %s, %(name)s, :name, @name, {name}) replaced by `$1`, with
 * the character map back to the file kept through every step.
 */
import type { Literal } from './lexer.js';

export interface SqlUnit {
  /** File offsets covered (first literal's start to last literal's end). */
  start: number;
  end: number;
  text: string;
  /** map[i] = file offset of text[i]. */
  map: number[];
  /** All literals of the unit were docstring-like (Python). */
  docLike: boolean;
}

/** Group literals separated only by whitespace, `+` or a line continuation into one unit. */
export function joinLiterals(fileText: string, literals: readonly Literal[]): SqlUnit[] {
  const sorted = [...literals].sort((a, b) => a.start - b.start);
  const out: SqlUnit[] = [];
  let cur: SqlUnit | null = null;
  for (const l of sorted) {
    if (cur && l.start >= cur.end && /^[\s+\\]*$/.test(fileText.slice(cur.end, l.start)) && fileText.slice(cur.end, l.start).length < 200) {
      cur.text += l.text;
      cur.map.pop();
      cur.map.push(...l.map);
      cur.end = l.end;
      cur.docLike = cur.docLike && l.docLike;
      continue;
    }
    if (cur) out.push(cur);
    cur = { start: l.start, end: l.end, text: l.text, map: [...l.map], docLike: l.docLike };
  }
  if (cur) out.push(cur);
  return out;
}

const SQL_START = /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*\(?\s*(select|insert|update|delete|with|merge|values|table|copy|create|alter|drop|explain|refresh|truncate)\b/i;

/** Does the text start like a SQL statement? */
export function looksLikeSql(text: string): boolean {
  return SQL_START.test(text);
}

/** Replace driver placeholders by `$1` outside SQL quotes, keeping the offset map in step. */
export function normalizePlaceholders(text: string, map: readonly number[]): { text: string; map: number[] } {
  let out = '';
  const m: number[] = [];
  const n = text.length;
  let i = 0;
  let quote: string | null = null;
  const emit = (s: string, at: number) => {
    out += s;
    for (let k = 0; k < s.length; k++) m.push(at);
  };
  while (i < n) {
    const c = text[i]!;
    const at = map[i] ?? 0;
    if (quote) {
      emit(c, at);
      if (c === quote) quote = null;
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      emit(c, at);
      i++;
      continue;
    }
    const prev = i > 0 ? text[i - 1]! : ' ';
    const next = text[i + 1] ?? ' ';
    if (c === '?' && /[\s(,=<>]/.test(prev) && /[\s),;]/.test(next)) {
      emit('$1', at);
      i++;
      continue;
    }
    if (c === '%') {
      if (next === '%') {
        emit('%', at);
        i += 2;
        continue;
      }
      const named = /^%\(\w+\)[sd]/.exec(text.slice(i, i + 64));
      if (named) {
        emit('$1', at);
        i += named[0].length;
        continue;
      }
      if (/[sdbf]/.test(next) && !/\w/.test(text[i + 2] ?? ' ')) {
        emit('$1', at);
        i += 2;
        continue;
      }
    }
    if ((c === ':' || c === '@') && next !== ':' && prev !== ':' && /[A-Za-z_]/.test(next) && /[\s(,=<>]/.test(prev)) {
      let j = i + 1;
      while (j < n && /\w/.test(text[j]!)) j++;
      emit('$1', at);
      i = j;
      continue;
    }
    if (c === '{') {
      const named = /^\{\w*\}/.exec(text.slice(i, i + 64));
      if (named) {
        emit('$1', at);
        i += named[0].length;
        continue;
      }
    }
    emit(c, at);
    i++;
  }
  m.push(map[n] ?? (map[n - 1] ?? 0) + 1);
  return { text: out, map: m };
}

/** String index of a UTF-8 byte offset into `text`. */
export function byteToIndex(text: string, byteOffset: number): number {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(text)) return Math.min(byteOffset, text.length);
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    if (bytes >= byteOffset) return i;
    const c = text.codePointAt(i)!;
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (c >= 0x10000) i++;
  }
  return text.length;
}
