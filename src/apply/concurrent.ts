/**
 * CREATE INDEX CONCURRENTLY bookkeeping: a failed or interrupted build leaves
 * an INVALID index behind (pg_index.indisvalid = false) that must be dropped
 * (DROP INDEX CONCURRENTLY IF EXISTS) before the build is retried; a valid
 * index of that name means the step is done.
 */
import type pg from 'pg';

export interface ConcurrentIndex {
  /** Index name as written (possibly quoted / schema-qualified). */
  name: string;
  /** Table as written. */
  table: string;
  unique: boolean;
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const QUALIFIED = String.raw`${IDENT}(?:\s*\.\s*${IDENT})?`;
const CIC_RE = new RegExp(
  String.raw`^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(${IDENT})\s+ON\s+(?:ONLY\s+)?(${QUALIFIED})`,
  'i',
);

/** Recognises `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON table`. Unnamed indexes are not recognised. */
export function parseConcurrentIndex(sql: string): ConcurrentIndex | null {
  const stripped = sql.replace(/^\s*(--[^\n]*\n\s*)*/, '');
  const m = CIC_RE.exec(stripped);
  if (!m) return null;
  return { unique: Boolean(m[1]), name: m[2]!, table: m[3]! };
}

/** Unquotes an identifier as PostgreSQL would (folds unquoted names to lower case). */
export function identName(id: string): string {
  if (id.startsWith('"')) return id.slice(1, -1).replace(/""/g, '"');
  return id.toLowerCase();
}

export interface IndexInfo {
  qualified: string;
  valid: boolean;
}

/** The index `name` on `table`, if it exists. */
export async function findIndex(client: pg.Client, idx: ConcurrentIndex): Promise<IndexInfo | null> {
  const r = await client.query(
    `SELECT format('%I.%I', n.nspname, c.relname) AS qualified, i.indisvalid AND i.indisready AS valid
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE i.indrelid = to_regclass($1) AND c.relname = $2`,
    [idx.table, identName(idx.name)],
  );
  const row = r.rows[0] as { qualified: string; valid: boolean } | undefined;
  return row ? { qualified: row.qualified, valid: row.valid } : null;
}

/** Drops the index if it exists and is INVALID. Returns its name when it dropped one. */
export async function dropIfInvalid(client: pg.Client, idx: ConcurrentIndex): Promise<string | null> {
  const info = await findIndex(client, idx);
  if (!info || info.valid) return null;
  await client.query('SET statement_timeout = 0');
  try {
    await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${info.qualified}`);
  } finally {
    await client.query('RESET statement_timeout').catch(() => {});
  }
  return info.qualified;
}
