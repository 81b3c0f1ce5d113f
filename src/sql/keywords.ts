/**
 * Whether a lower-case word needs quoting as an identifier. PostgreSQL's
 * quote_ident quotes every keyword that is not UNRESERVED; the scanner knows
 * each word's category, so ask it instead of keeping a copy of kwlist.h.
 */
import { KEYWORD_UNRESERVED, scanRaw } from './parser.js';

const cache = new Map<string, boolean>();

export function isQuotingKeyword(word: string): boolean {
  const hit = cache.get(word);
  if (hit !== undefined) return hit;
  const tokens = scanRaw(word);
  const t = tokens[0];
  const result = tokens.length === 1 && t !== undefined && t.keywordKind > KEYWORD_UNRESERVED;
  cache.set(word, result);
  return result;
}

export const KEYWORDS_REQUIRING_QUOTES = { has: isQuotingKeyword };
