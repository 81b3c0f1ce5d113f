/**
 * Whether a lower-case word needs quoting as an identifier. PostgreSQL's
 * quote_ident quotes every keyword that is not UNRESERVED; the scanner knows
 * each word's category, so ask it instead of keeping a copy of kwlist.h.
 */
import { KEYWORD_UNRESERVED, scanRaw } from './parser.js';

const cache = new Map<string, boolean>();

/**
 * No PostgreSQL keyword is longer, and none holds a digit or `$`: words like that are plain
 * identifiers without asking the scanner (one WASM call per distinct word; rules quote a table or
 * column name for most findings). test/sql/keywords.test.ts checks both against the server's
 * pg_get_keywords().
 */
export const LONGEST_KEYWORD = 17;
const NOT_A_KEYWORD = /[0-9$]/;

export function isQuotingKeyword(word: string): boolean {
  if (word.length > LONGEST_KEYWORD || NOT_A_KEYWORD.test(word)) return false;
  const hit = cache.get(word);
  if (hit !== undefined) return hit;
  const tokens = scanRaw(word);
  const t = tokens[0];
  const result = tokens.length === 1 && t !== undefined && t.keywordKind > KEYWORD_UNRESERVED;
  cache.set(word, result);
  return result;
}

export const KEYWORDS_REQUIRING_QUOTES = { has: isQuotingKeyword };
