/**
 * The one doorway to libpg-query (the real PostgreSQL parser, compiled to WASM).
 * The module must be loaded once before the synchronous calls are used.
 */
import * as pg from 'libpg-query';

let loaded: Promise<void> | null = null;
let ready = false;

export function loadParser(): Promise<void> {
  if (!loaded) {
    loaded = pg.loadModule().then(() => {
      ready = true;
    });
  }
  return loaded;
}

function assertReady(): void {
  if (!ready) throw new Error('internal: the SQL parser is used before loadParser() resolved');
}

export interface RawParseResult {
  version: number;
  stmts: Array<{ stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }>;
}

export interface RawParseError {
  message: string;
  /** 0-based code point offset into the input, when the parser knows it. */
  cursor: number | null;
}

export function parseRaw(sql: string): RawParseResult {
  assertReady();
  return pg.parseSync(sql) as unknown as RawParseResult;
}

export function parsePlpgsqlRaw(sql: string): unknown {
  assertReady();
  return pg.parsePlPgSQLSync(sql);
}

export interface RawToken {
  start: number;
  end: number;
  text: string;
  tokenName: string;
  keywordKind: number;
}

export function scanRaw(sql: string): RawToken[] {
  assertReady();
  return pg.scanSync(sql).tokens as RawToken[];
}

export function toParseError(e: unknown): RawParseError {
  if (pg.hasSqlDetails(e) && e.sqlDetails) {
    const pos = e.sqlDetails.cursorPosition;
    return { message: e.sqlDetails.message, cursor: typeof pos === 'number' && pos >= 0 ? pos : null };
  }
  return { message: e instanceof Error ? e.message : String(e), cursor: null };
}

/** keywordKind values from the PostgreSQL scanner. */
export const KEYWORD_UNRESERVED = 1;
