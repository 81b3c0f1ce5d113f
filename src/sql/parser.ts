/**
 * The one doorway to libpg-query (the real PostgreSQL parser, compiled to WASM).
 * The module must be loaded once before the synchronous calls are used.
 */
// Imported when loadParser() is first called, not with this module: importing libpg-query
// starts reading and compiling its WASM, which a --cache rerun never needs.
let pg: typeof import('libpg-query');

let loaded: Promise<void> | null = null;
let ready = false;

export function loadParser(): Promise<void> {
  if (!loaded) {
    loaded = import('libpg-query').then(async (m) => {
      pg = m;
      await m.loadModule();
      ready = true;
    });
  }
  return loaded;
}

/** Thrown by the synchronous calls before loadParser() resolved (see withParser). */
export class ParserNotLoaded extends Error {
  constructor() {
    super('internal: the SQL parser is used before loadParser() resolved');
  }
}

function assertReady(): void {
  if (!ready) throw new ParserNotLoaded();
}

export function parserReady(): boolean {
  return ready;
}

/**
 * Runs fn, loading the parser first only if fn turns out to need it: for work that usually does
 * not (framework detection scans only some files), so a run that never parses never pays for
 * loading the WASM module (a --cache rerun).
 */
export async function withParser<T>(fn: () => T): Promise<T> {
  if (ready) return fn();
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof ParserNotLoaded)) throw e;
    await loadParser();
    return fn();
  }
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
  if (pg && pg.hasSqlDetails(e) && e.sqlDetails) {
    const pos = e.sqlDetails.cursorPosition;
    return { message: e.sqlDetails.message, cursor: typeof pos === 'number' && pos >= 0 ? pos : null };
  }
  return { message: e instanceof Error ? e.message : String(e), cursor: null };
}

/** keywordKind values from the PostgreSQL scanner. */
export const KEYWORD_UNRESERVED = 1;
