/**
 * Quoting for generated SQL. Every identifier and literal the planner or apply
 * emits goes through here; nothing splices raw input into SQL.
 */
import { KEYWORDS_REQUIRING_QUOTES } from './keywords.js';

/** Quote an identifier only when PostgreSQL needs it (as quote_ident does). */
export function quoteIdent(name: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(name) && !KEYWORDS_REQUIRING_QUOTES.has(name)) return name;
  return '"' + name.replace(/"/g, '""') + '"';
}

/** Always-quoted identifier, for places where a stable form matters (e.g. fingerprints). */
export function quoteIdentAlways(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

export function quoteQualified(schema: string | undefined, name: string): string {
  return schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name);
}

/** A string literal; uses E'' only when a backslash forces it, like quote_literal. */
export function quoteLiteral(value: string): string {
  const escaped = value.replace(/'/g, "''");
  if (value.includes('\\')) return "E'" + escaped.replace(/\\/g, '\\\\') + "'";
  return "'" + escaped + "'";
}

/** Identifiers longer than NAMEDATALEN-1 bytes are silently truncated by PostgreSQL. */
export const MAX_IDENTIFIER_BYTES = 63;

export function identifierBytes(name: string): number {
  return Buffer.byteLength(name, 'utf8');
}

/**
 * Derive a new identifier from a base name plus a suffix, truncating the base so
 * the result still fits in 63 bytes (PostgreSQL would otherwise truncate it silently
 * and two derived names could collide).
 */
export function derivedName(base: string, suffix: string): string {
  const budget = MAX_IDENTIFIER_BYTES - identifierBytes(suffix);
  let out = base;
  while (identifierBytes(out) > budget) out = out.slice(0, -1);
  return out + suffix;
}
