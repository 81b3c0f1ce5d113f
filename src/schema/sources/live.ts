/**
 * Live introspection for the planner: server version and table sizes
 * (pg_class.reltuples, pg_total_relation_size), so small tables keep the simple form.
 */
import { connect, type Client } from '../../db/connection.js';

async function majorOf(client: Client): Promise<number> {
  const v = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  return Math.floor(Number(v.rows[0]?.v ?? 0) / 10000);
}

export interface LiveFacts {
  /** Server major version (e.g. 16). */
  pgVersion: number;
  /** `schema.table` -> estimated rows and total bytes (table + indexes + TOAST). */
  tableSizes: Map<string, { rows: number; bytes: number }>;
}

export async function readLiveFacts(url: string): Promise<LiveFacts> {
  const client = await connect(url);
  try {
    const pgVersion = await majorOf(client);
    const r = await client.query<{ schema: string; name: string; rows: string; bytes: string }>(
      `SELECT n.nspname AS schema, c.relname AS name,
              GREATEST(c.reltuples, 0)::bigint AS rows, pg_total_relation_size(c.oid) AS bytes
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`,
    );
    const tableSizes = new Map<string, { rows: number; bytes: number }>();
    for (const row of r.rows) tableSizes.set(`${row.schema}.${row.name}`, { rows: Number(row.rows), bytes: Number(row.bytes) });
    return { pgVersion, tableSizes };
  } finally {
    await client.end();
  }
}

/** The server's major version (e.g. 16). */
export async function serverMajor(url: string): Promise<number> {
  const client = await connect(url);
  try {
    return await majorOf(client);
  } finally {
    await client.end();
  }
}
