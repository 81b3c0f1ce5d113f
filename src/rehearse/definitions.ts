/**
 * The production schema's definitions as PostgreSQL prints them (pg_get_constraintdef,
 * pg_get_indexdef, pg_get_partkeydef, format_type, pg_get_expr), read from the catalogs
 * alongside the live introspection, so the scratch copy (schema-copy.ts) is made of the
 * server's own DDL text and the generator (synth.ts) knows each column's base type.
 * Catalogs only: no table is read.
 */
import type { Client } from '../db/connection.js';

export interface TypeInfo {
  oid: number;
  schema: string;
  name: string;
  /** pg_type.typtype: b base, d domain, e enum, c composite, r range, m multirange. */
  typtype: string;
  /** pg_type.typcategory (A array, N numeric, S string, D date/time, B boolean, U user ...). */
  category: string;
  baseOid: number;
  elemOid: number;
  typmod: number;
  notNull: boolean;
}

export interface ColumnDef {
  name: string;
  /** format_type text. */
  type: string;
  typeOid: number;
  typmod: number;
  notNull: boolean;
  /** pg_get_expr of the default (absent for generated columns). */
  default: string | null;
  /** Stored/virtual generated column: its expression. */
  generated: string | null;
  generatedKind: 's' | 'v' | null;
  identity: 'a' | 'd' | null;
  collation: string | null;
}

export interface TableDef {
  key: string;
  schema: string;
  name: string;
  partitioned: boolean;
  unlogged: boolean;
  /** Partition: parent key and `FOR VALUES ...` / `DEFAULT`. */
  parent: string | null;
  bound: string | null;
  /** Partitioned table: pg_get_partkeydef (`RANGE (created_at)`). */
  partitionBy: string | null;
  columns: ColumnDef[];
}

export interface ConstraintDef {
  table: string;
  name: string;
  /** p u f c x */
  type: string;
  /** pg_get_constraintdef. */
  def: string;
  columns: string[];
  refTable: string | null;
  refColumns: string[];
  /** Inherited from a partitioned parent (made there, not here). */
  inherited: boolean;
  validated: boolean;
}

export interface IndexDef {
  table: string;
  schema: string;
  name: string;
  /** pg_get_indexdef. */
  def: string;
  unique: boolean;
  /** The index's WHERE (pg_get_expr), or null. */
  predicate: string | null;
  /** Each key element as text (a quoted column or an expression): pg_get_indexdef(oid, k, true). */
  keys: string[];
  /** Backs a PRIMARY KEY / UNIQUE / EXCLUDE constraint (made by that constraint). */
  constraint: boolean;
  /** Attached to a partitioned parent's index (made by that one). */
  inherited: boolean;
  nullsNotDistinct: boolean;
}

export interface SequenceDef {
  key: string;
  schema: string;
  name: string;
  /** `AS bigint INCREMENT BY 1 ...` (pg_sequences). */
  options: string;
  /** Owned by an identity column (made with that column, not separately). */
  identity: boolean;
}

export interface SchemaDefinitions {
  schemas: string[];
  types: Map<number, TypeInfo>;
  enums: Array<{ oid: number; schema: string; name: string; labels: string[] }>;
  domains: Array<{ oid: number; schema: string; name: string; base: string; notNull: boolean; default: string | null; checks: Array<{ name: string; def: string }> }>;
  sequences: SequenceDef[];
  /** Tables and partitioned tables, parents before their partitions. */
  tables: Map<string, TableDef>;
  constraints: ConstraintDef[];
  indexes: IndexDef[];
  /** Extensions installed (CREATE EXTENSION IF NOT EXISTS on the scratch, best effort). */
  extensions: string[];
}

const USER_NS = `(SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'ddlguard') AND left(n.nspname, 8) <> 'pg_toast' AND left(n.nspname, 7) <> 'pg_temp_'
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND e.objid = n.oid AND e.deptype = 'e'))`;
const NOT_EXT = (cat: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.${cat}'::pg_catalog.regclass AND e.objid = ${oid} AND e.deptype = 'e')`;
const USER_TABLES = `(SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p') AND c.relnamespace IN ${USER_NS} AND ${NOT_EXT('pg_class', 'c.oid')})`;

function sql(major: number): string[] {
  const generated = major >= 12 ? 'a.attgenerated::text' : "''";
  const nnd = major >= 15 ? 'i.indnullsnotdistinct' : 'false';
  return [
    `SELECT n.nspname AS name FROM pg_catalog.pg_namespace n WHERE n.oid IN ${USER_NS}`,
    `SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, c.relpersistence::text AS persistence, c.relispartition AS ispartition,
            CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS bound,
            CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partkey,
            (SELECT pn.nspname || '.' || pc.relname FROM pg_catalog.pg_inherits h JOIN pg_catalog.pg_class pc ON pc.oid = h.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace WHERE h.inhrelid = c.oid AND c.relispartition) AS parent
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid IN ${USER_TABLES}`,
    `SELECT a.attrelid AS rel, a.attnum AS num, a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.atttypid AS typoid, a.atttypmod AS typmod,
            a.attnotnull AS notnull, a.attidentity::text AS identity, ${generated} AS generated,
            (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum) AS def,
            CASE WHEN a.attcollation <> 0 AND a.attcollation <> (SELECT t.typcollation FROM pg_catalog.pg_type t WHERE t.oid = a.atttypid)
                 THEN (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END AS collation
       FROM pg_catalog.pg_attribute a WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attrelid IN ${USER_TABLES} ORDER BY a.attrelid, a.attnum`,
    `WITH RECURSIVE ty(oid) AS (
        SELECT DISTINCT a.atttypid FROM pg_catalog.pg_attribute a WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attrelid IN ${USER_TABLES}
        UNION SELECT v.x FROM ty JOIN pg_catalog.pg_type t ON t.oid = ty.oid CROSS JOIN LATERAL (VALUES (t.typbasetype), (t.typelem)) v(x) WHERE v.x <> 0)
     SELECT t.oid, n.nspname AS schema, t.typname AS name, t.typtype::text AS typtype, t.typcategory::text AS category, t.typbasetype AS base, t.typelem AS elem, t.typtypmod AS typmod, t.typnotnull AS notnull
       FROM ty JOIN pg_catalog.pg_type t ON t.oid = ty.oid JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace`,
    `SELECT t.oid, n.nspname AS schema, t.typname AS name, ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels
       FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'e' AND t.typnamespace IN ${USER_NS} AND ${NOT_EXT('pg_type', 't.oid')}`,
    `SELECT t.oid, n.nspname AS schema, t.typname AS name, pg_catalog.format_type(t.typbasetype, t.typtypmod) AS base, t.typnotnull AS notnull, t.typdefault AS def,
            ARRAY(SELECT k.conname::text FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c' ORDER BY k.conname) AS con_names,
            ARRAY(SELECT pg_catalog.pg_get_constraintdef(k.oid) FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c' ORDER BY k.conname) AS con_defs
       FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'd' AND t.typnamespace IN ${USER_NS} AND ${NOT_EXT('pg_type', 't.oid')}
      ORDER BY t.oid`,
    `SELECT s.schemaname AS schema, s.sequencename AS name, pg_catalog.format_type(s.data_type, NULL) AS data_type, s.start_value, s.min_value, s.max_value, s.increment_by, s.cycle, s.cache_size,
            EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = (pg_catalog.quote_ident(s.schemaname) || '.' || pg_catalog.quote_ident(s.sequencename))::pg_catalog.regclass AND d.deptype = 'i') AS identity
       FROM pg_catalog.pg_sequences s JOIN pg_catalog.pg_namespace n ON n.nspname = s.schemaname WHERE n.oid IN ${USER_NS}`,
    `SELECT k.conrelid AS rel, k.conname AS name, k.contype::text AS type, pg_catalog.pg_get_constraintdef(k.oid) AS def, k.convalidated AS validated,
            ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY u(num, ord) JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.num ORDER BY u.ord) AS cols,
            CASE WHEN k.contype = 'f' THEN (SELECT rn.nspname || '.' || rc.relname FROM pg_catalog.pg_class rc JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = k.confrelid) END AS ref,
            ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY u(num, ord) JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.num ORDER BY u.ord) AS ref_cols,
            (k.conparentid <> 0 OR NOT k.conislocal) AS inherited
       FROM pg_catalog.pg_constraint k WHERE k.contype IN ('p', 'u', 'f', 'c', 'x') AND k.conrelid IN ${USER_TABLES} ORDER BY k.conrelid, k.conname`,
    `SELECT i.indrelid AS rel, n.nspname AS schema, ic.relname AS name, pg_catalog.pg_get_indexdef(i.indexrelid) AS def, i.indisunique AS is_unique,
            pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS pred, ${nnd} AS nnd,
            ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true) FROM pg_catalog.generate_series(1, i.indnkeyatts) k) AS keys,
            EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x') AND k.conrelid = i.indrelid) AS con,
            ic.relispartition AS inherited
       FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
      WHERE i.indrelid IN ${USER_TABLES}`,
    `SELECT extname AS name FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql'`,
  ];
}

/** Reads the definitions (catalogs only). The client's search_path should be `public` so public names print unqualified... or any: names are printed as the server resolves them. */
export async function readDefinitions(client: Client, major: number): Promise<SchemaDefinitions> {
  const rs: any[][] = [];
  for (const q of sql(major)) rs.push((await client.query(q)).rows);
  const [schemas, rels, cols, types, enums, domains, seqs, cons, idx, exts] = rs as [any[], any[], any[], any[], any[], any[], any[], any[], any[], any[]];
  const relKeyByOid = new Map<number, string>();
  const tables = new Map<string, TableDef>();
  // Parents before partitions.
  const ordered: any[] = [];
  const byKey = new Map<string, any>();
  for (const r of rels) byKey.set(`${r.schema}.${r.name}`, r);
  const seen = new Set<string>();
  const visit = (r: any) => {
    const k = `${r.schema}.${r.name}`;
    if (seen.has(k)) return;
    seen.add(k);
    if (r.parent && byKey.has(r.parent)) visit(byKey.get(r.parent));
    ordered.push(r);
  };
  rels.forEach(visit);
  for (const r of ordered) {
    const key = `${r.schema}.${r.name}`;
    relKeyByOid.set(Number(r.oid), key);
    tables.set(key, {
      key,
      schema: r.schema,
      name: r.name,
      partitioned: r.kind === 'p',
      unlogged: r.persistence === 'u',
      parent: r.parent ?? null,
      bound: r.bound ?? null,
      partitionBy: r.partkey ?? null,
      columns: [],
    });
  }
  for (const c of cols) {
    const t = tables.get(relKeyByOid.get(Number(c.rel)) ?? '');
    if (!t) continue;
    const gen = c.generated === 's' || c.generated === 'v' ? (c.generated as 's' | 'v') : null;
    t.columns.push({
      name: c.name,
      type: c.type,
      typeOid: Number(c.typoid),
      typmod: Number(c.typmod),
      notNull: c.notnull === true,
      default: gen ? null : (c.def ?? null),
      generated: gen ? (c.def ?? null) : null,
      generatedKind: gen,
      identity: c.identity === 'a' || c.identity === 'd' ? c.identity : null,
      collation: c.collation ?? null,
    });
  }
  const typeMap = new Map<number, TypeInfo>();
  for (const t of types) {
    typeMap.set(Number(t.oid), {
      oid: Number(t.oid),
      schema: t.schema,
      name: t.name,
      typtype: t.typtype,
      category: t.category,
      baseOid: Number(t.base),
      elemOid: Number(t.elem),
      typmod: Number(t.typmod),
      notNull: t.notnull === true,
    });
  }
  return {
    schemas: schemas.map((s) => String(s.name)),
    types: typeMap,
    enums: enums.map((e) => ({ oid: Number(e.oid), schema: e.schema, name: e.name, labels: (e.labels ?? []).map(String) })),
    domains: domains.map((d) => ({
      oid: Number(d.oid),
      schema: d.schema,
      name: d.name,
      base: d.base,
      notNull: d.notnull === true,
      default: d.def ?? null,
      checks: ((d.con_names ?? []) as string[]).map((name, i) => ({ name, def: String(d.con_defs?.[i] ?? '') })),
    })),
    sequences: seqs.map((s) => ({
      key: `${s.schema}.${s.name}`,
      schema: s.schema,
      name: s.name,
      identity: s.identity === true,
      options: `AS ${s.data_type} INCREMENT BY ${s.increment_by} MINVALUE ${s.min_value} MAXVALUE ${s.max_value} START WITH ${s.start_value} CACHE ${s.cache_size}${s.cycle ? ' CYCLE' : ''}`,
    })),
    tables,
    constraints: cons
      .filter((k) => relKeyByOid.has(Number(k.rel)))
      .map((k) => ({
        table: relKeyByOid.get(Number(k.rel))!,
        name: k.name,
        type: k.type,
        def: k.def,
        columns: (k.cols ?? []).map(String),
        refTable: k.ref ?? null,
        refColumns: (k.ref_cols ?? []).map(String),
        inherited: k.inherited === true,
        validated: k.validated === true,
      })),
    indexes: idx
      .filter((i) => relKeyByOid.has(Number(i.rel)))
      .map((i) => ({
        table: relKeyByOid.get(Number(i.rel))!,
        schema: i.schema,
        name: i.name,
        def: i.def,
        unique: i.is_unique === true,
        predicate: i.pred ?? null,
        keys: (i.keys ?? []).map(String),
        constraint: i.con === true,
        inherited: i.inherited === true,
        nullsNotDistinct: i.nnd === true,
      })),
    extensions: exts.map((e) => String(e.name)),
  };
}

/** The base type of a (possibly nested) domain, with the domains passed on the way. */
export function resolveType(defs: SchemaDefinitions, oid: number): { base: TypeInfo | undefined; domains: TypeInfo[] } {
  const domains: TypeInfo[] = [];
  let t = defs.types.get(oid);
  while (t && t.typtype === 'd') {
    domains.push(t);
    t = defs.types.get(t.baseOid);
  }
  return { base: t, domains };
}

/** A double-quoted identifier. */
export function qi(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `schema.name` key -> quoted qualified name. */
export function qkey(key: string): string {
  const dot = key.indexOf('.');
  return `${qi(key.slice(0, dot))}.${qi(key.slice(dot + 1))}`;
}
