/**
 * The production schema on a scratch database, from the definitions the server printed
 * (definitions.ts): no DDL is rebuilt from the model, the server's own text is replayed.
 *
 * Two phases around the data load (synth.ts):
 * - before: schemas, extensions (best effort), enums, domains, sequences, tables and
 *   partitions with their columns, defaults, identity, generated columns and NOT NULL.
 *   A column of a domain is created with the domain's base type, so a value the domain's
 *   CHECK refuses can be found and removed after the load instead of failing the COPY;
 * - after: domain columns retyped, then PRIMARY KEY / UNIQUE / EXCLUDE, the other indexes,
 *   FOREIGN KEYs and CHECKs (building them once over the loaded rows is faster than
 *   maintaining them row by row, and a violation shows up as an error here), sequences
 *   moved past the generated keys.
 */
import type { Client } from '../db/connection.js';
import { redactError } from '../db/connection.js';
import { qi, qkey, resolveType, type SchemaDefinitions, type TableDef } from './definitions.js';

export interface CopyNotes {
  notes: string[];
  /** DDL that failed after the load (a constraint the data does not satisfy, an index that could not be built). */
  errors: string[];
}

async function run(client: Client, sql: string, what: string, out: string[]): Promise<boolean> {
  try {
    await client.query(sql);
    return true;
  } catch (e) {
    out.push(`${what}: ${redactError(e).message}`);
    return false;
  }
}

/** The domain a column is declared with (outermost), when it is one. */
export function columnDomain(defs: SchemaDefinitions, typeOid: number): { schema: string; name: string } | null {
  const t = defs.types.get(typeOid);
  return t && t.typtype === 'd' ? { schema: t.schema, name: t.name } : null;
}

/** Creates everything the data is loaded into. Throws on a failure that leaves a table missing. */
export async function createSchemaBeforeLoad(client: Client, defs: SchemaDefinitions): Promise<CopyNotes> {
  const notes: string[] = [];
  const errors: string[] = [];
  for (const s of defs.schemas) if (s !== 'public') await client.query(`CREATE SCHEMA IF NOT EXISTS ${qi(s)}`);
  for (const e of defs.extensions) await run(client, `CREATE EXTENSION IF NOT EXISTS ${qi(e)}`, `extension ${e} (not created on the scratch)`, notes);
  for (const e of defs.enums) {
    await client.query(`CREATE TYPE ${qi(e.schema)}.${qi(e.name)} AS ENUM (${e.labels.map(lit).join(', ')})`);
  }
  for (const d of defs.domains) {
    const checks = d.checks.map((c) => ` CONSTRAINT ${qi(c.name)} ${c.def}`).join('');
    const sql = `CREATE DOMAIN ${qi(d.schema)}.${qi(d.name)} AS ${d.base}${d.default ? ` DEFAULT ${d.default}` : ''}${d.notNull ? ' NOT NULL' : ''}${checks}`;
    await client.query(sql);
  }
  for (const s of defs.sequences) if (!s.identity) await client.query(`CREATE SEQUENCE ${qi(s.schema)}.${qi(s.name)} ${s.options}`);
  for (const t of defs.tables.values()) {
    const sql = createTableSql(defs, t);
    try {
      await client.query(sql);
    } catch (e) {
      // A default or generation expression calling a function the scratch does not have: without them.
      const plain = createTableSql(defs, t, false);
      if (plain === sql) throw redactError(e);
      await client.query(plain);
      notes.push(`${t.key}: created without its column defaults / generated expressions (${redactError(e).message})`);
    }
  }
  return { notes, errors };
}

function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function createTableSql(defs: SchemaDefinitions, t: TableDef, withExpressions = true): string {
  const name = qkey(t.key);
  if (t.parent) {
    return `CREATE ${t.unlogged ? 'UNLOGGED ' : ''}TABLE ${name} PARTITION OF ${qkey(t.parent)} ${t.bound ?? 'DEFAULT'}`;
  }
  const cols = t.columns.map((c) => {
    const dom = columnDomain(defs, c.typeOid);
    // A domain column is loaded as its base type (retyped after the load).
    const type = dom ? (defs.domains.find((d) => d.schema === dom.schema && d.name === dom.name)?.base ?? c.type) : c.type;
    let s = `${qi(c.name)} ${type}`;
    if (c.collation) s += ` COLLATE ${c.collation}`;
    if (withExpressions && c.generated) s += ` GENERATED ALWAYS AS (${c.generated})${c.generatedKind === 'v' ? ' VIRTUAL' : ' STORED'}`;
    else if (c.identity) s += ` GENERATED ${c.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`;
    else if (withExpressions && c.default) s += ` DEFAULT ${c.default}`;
    if (c.notNull) s += ' NOT NULL';
    return s;
  });
  return `CREATE ${t.unlogged ? 'UNLOGGED ' : ''}TABLE ${name} (${cols.join(', ')})${t.partitionBy ? ` PARTITION BY ${t.partitionBy}` : ''}`;
}

/** Retypes domain columns, then builds keys, indexes, foreign keys and CHECKs; moves sequences past the data. */
export async function createSchemaAfterLoad(client: Client, defs: SchemaDefinitions): Promise<CopyNotes> {
  const notes: string[] = [];
  const errors: string[] = [];
  for (const t of defs.tables.values()) {
    if (t.parent) continue;
    for (const c of t.columns) {
      const dom = columnDomain(defs, c.typeOid);
      if (!dom) continue;
      await run(client, `ALTER TABLE ${qkey(t.key)} ALTER COLUMN ${qi(c.name)} TYPE ${c.type} USING ${qi(c.name)}::${c.type}`, `${t.key}.${c.name} as ${c.type}`, errors);
    }
  }
  const own = defs.constraints.filter((k) => !k.inherited);
  const add = async (types: string[]) => {
    for (const k of own.filter((x) => types.includes(x.type))) {
      await run(client, `ALTER TABLE ${qkey(k.table)} ADD CONSTRAINT ${qi(k.name)} ${k.def}`, `${k.table}: constraint ${k.name}`, errors);
    }
  };
  await add(['p', 'u', 'x']);
  for (const ix of defs.indexes) {
    if (ix.constraint || ix.inherited) continue;
    await run(client, ix.def.replace(/ ON ONLY /, ' ON '), `${ix.table}: index ${ix.name}`, errors);
  }
  await add(['f']);
  await add(['c']);
  // Sequences past the generated keys, so the workload's inserts do not collide.
  for (const t of defs.tables.values()) {
    if (t.partitioned && t.parent) continue;
    for (const c of t.columns) {
      let seq: string | null = null;
      if (c.identity) seq = `pg_catalog.pg_get_serial_sequence(${lit(qkey(t.key))}, ${lit(c.name)})`;
      else {
        const m = /^nextval\('(.+)'::regclass\)$/.exec(c.default ?? '');
        if (m) seq = lit(m[1]!.replace(/''/g, "'"));
      }
      if (!seq || t.parent) continue;
      const col = qi(c.name);
      await run(
        client,
        `SELECT pg_catalog.setval(${seq}, COALESCE((SELECT max(${col}) FROM ${qkey(t.key)}), 1)::bigint, (SELECT max(${col}) FROM ${qkey(t.key)}) IS NOT NULL)`,
        `${t.key}.${c.name}: sequence`,
        notes,
      );
    }
  }
  return { notes, errors };
}

/** `CHECK ((x > 0)) NOT VALID` -> `(x > 0)`. */
export function checkExpression(def: string): string | null {
  const m = /^CHECK\s*\(([\s\S]*)\)(\s+NOT VALID)?(\s+NO INHERIT)?$/i.exec(def.trim());
  return m ? m[1]! : null;
}

/** A domain CHECK with VALUE replaced by a column (outside string literals and quoted names). */
export function domainCheckOnColumn(def: string, column: string): string | null {
  const expr = checkExpression(def);
  if (!expr) return null;
  return expr.replace(/('(?:[^']|'')*')|("(?:[^"]|"")*")|\bVALUE\b/g, (m, s, q) => (s || q ? m : qi(column)));
}

/** The domains of a column's type chain (outermost first). */
export function domainChain(defs: SchemaDefinitions, typeOid: number) {
  return resolveType(defs, typeOid).domains.map((t) => defs.domains.find((d) => d.oid === t.oid)).filter((d) => d !== undefined);
}
