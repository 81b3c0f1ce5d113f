/**
 * Live introspection: the schema model read from a server's catalogs.
 *
 * A handful of catalog queries, one per kind of object (relations, columns,
 * constraints, indexes, types, functions, view dependencies), sent as one batch, and one
 * more for the sizes: the cost does not grow with a query per table. Every non-system
 * schema is read (pg_catalog, information_schema, pg_toast*, pg_temp* and ddlguard's
 * own `ddlguard` schema are not); objects that belong to an extension are left out,
 * as pg_dump leaves them out.
 *
 * Types are format_type's text parsed by PostgreSQL's own parser (libpg-query), each
 * distinct string once, in one statement; defaults are judged volatile with the same
 * expressionVolatility replay uses, over pg_get_expr's text. Both are printed with
 * search_path set to the model's default (`public`), so a public type or function
 * comes out unqualified, the way a migration names it.
 *
 * `readLiveFacts` (the planner's server version and table sizes) is built on the same
 * reads; the server's major version alone is `serverMajor` in db/connection.ts.
 */
import { connect, majorOf, redactError, type Client } from '../../db/connection.js';
import { columnRefs, isNotNullTestColumn, typeRefFromTypeName, type TypeRef } from '../../sql/ast.js';
import { loadParser, parseRaw } from '../../sql/parser.js';
import { expressionVolatility, type Volatility } from '../../sql/volatility.js';
import {
  SchemaModel,
  externalOrigin,
  indexRecord,
  relKey,
  type ColumnModel,
  type ConstraintModel,
  type DomainConstraint,
  type Origin,
  type RelationKind,
  type RelationModel,
  type RelationSize,
} from '../model.js';


export interface LiveIntrospection {
  model: SchemaModel;
  /** Server major version (e.g. 18). */
  pgVersion: number;
  /** current_database() */
  database: string;
}

export interface IntrospectOptions {
  /** How origins name the source (default `the live database`). */
  label?: string;
}

/**
 * Reads the whole schema model from a database: a connection URL (connected and closed
 * here) or a connected client (left open; its settings are restored). Errors are redacted.
 */
export async function introspectLive(source: string | Client, opts: IntrospectOptions = {}): Promise<LiveIntrospection> {
  const url = typeof source === 'string' ? source : undefined;
  const [client] = await Promise.all([typeof source === 'string' ? connect(source) : Promise.resolve(source), loadParser()]);
  try {
    const pgVersion = await majorOf(client);
    // Sizes are the slow part on the server (pg_relation_size opens every table): their query
    // is queued right behind the catalog batch, so the server computes them while the model is built.
    const catalog = client.query(catalogSql(pgVersion)) as unknown as Promise<Array<{ rows: any[] }>>;
    const sizes = client.query(SIZES_SQL);
    // Neither may reject unobserved while the other is awaited.
    sizes.catch(() => {});
    const results = await catalog;
    const rows = (i: number) => results[i]?.rows ?? [];
    const blockSize = Number(rows(Q.meta)[0]?.block_size ?? 8192);
    const built = buildModel(
      {
        schemas: rows(Q.schemas),
        relations: rows(Q.relations),
        inherits: rows(Q.inherits),
        columns: rows(Q.columns),
        constraints: rows(Q.constraints),
        indexes: rows(Q.indexes),
        enums: rows(Q.enums),
        domains: rows(Q.domains),
        functions: rows(Q.functions),
        dependencies: rows(Q.dependencies),
      },
      externalOrigin('live', opts.label ?? 'the live database'),
    );
    addSizes(built, (await sizes).rows, blockSize);
    return { pgVersion, database: String(rows(Q.meta)[0]?.database ?? ''), model: built.model };
  } catch (e) {
    throw redactError(e, url);
  } finally {
    if (typeof source === 'string') await client.end().catch(() => {});
  }
}

// ------------------------------------------------------------------ SQL

/** Position of each result in the batch (the statements that only set the search path are skipped). */
const Q = {
  meta: 1,
  schemas: 2,
  relations: 3,
  inherits: 4,
  columns: 5,
  constraints: 6,
  indexes: 7,
  enums: 8,
  domains: 9,
  functions: 10,
  dependencies: 11,
} as const;

/** A user schema: not the system's, not ddlguard's own state schema. */
const USER_SCHEMA = (n: string) =>
  `${n}.nspname NOT IN ('pg_catalog', 'information_schema', 'ddlguard') AND left(${n}.nspname, 8) <> 'pg_toast' AND left(${n}.nspname, 7) <> 'pg_temp_'`;

/** Not a member of an extension (pg_dump does not dump those either). */
const NOT_EXTENSION = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.${catalog}'::pg_catalog.regclass AND e.objid = ${oid} AND e.deptype = 'e')`;

const USER_NAMESPACES = `(SELECT n.oid FROM pg_catalog.pg_namespace n WHERE ${USER_SCHEMA('n')})`;

/**
 * Relations of the user schemas, for the per-object queries (one hashed semi-join each).
 * Extension members are left out once, by the relations query: rows of the others that
 * belong to a relation it did not return are dropped while the model is built.
 */
const IN_USER_RELATIONS = (oid: string) =>
  `${oid} IN (SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relnamespace IN ${USER_NAMESPACES})`;

/**
 * The whole read as one simple-protocol batch: one round trip and one implicit
 * transaction, with search_path set locally (and restored for a caller's client that
 * is inside a transaction of its own).
 *
 * Sizes: heap bytes are pg_relation_size (exact; it opens each table, as pg_dump locks
 * each table); index bytes and TOAST bytes (the TOAST table's main fork) are the catalog's
 * page counts (relpages: as of the last CREATE INDEX, VACUUM or ANALYZE for an index, the
 * last VACUUM for a TOAST table). Measuring every index's and TOAST table's files would
 * open each of them, which costs more than the rest of the read together on a schema of
 * thousands of tables.
 */
function catalogSql(major: number): string {
  const generated = major >= 12 ? 'a.attgenerated::text' : "''";
  const prokind = major >= 11 ? "p.prokind = 'f'" : 'NOT p.proisagg';
  const nkeys = major >= 11 ? 'i.indnkeyatts' : 'i.indnatts';
  const parentCon = major >= 11 ? 'k.conparentid' : '0';
  const contypes = major >= 18 ? "('p', 'u', 'f', 'c', 'x', 'n')" : "('p', 'u', 'f', 'c', 'x')";
  // Domain NOT NULL constraints are in pg_constraint from 17; before, only typnotnull says so.
  const domainContypes = major >= 17 ? "('c', 'n')" : "('c')";
  return [
    // 0: save the caller's search_path, then print names as the model resolves them.
    `SELECT pg_catalog.set_config('ddlguard.saved_search_path', pg_catalog.current_setting('search_path'), true), pg_catalog.set_config('search_path', 'public', true)`,
    // 1
    `SELECT pg_catalog.current_database() AS database, pg_catalog.current_setting('block_size')::int AS block_size`,
    // 2
    `SELECT n.nspname AS name FROM pg_catalog.pg_namespace n WHERE ${USER_SCHEMA('n')} AND ${NOT_EXTENSION('pg_namespace', 'n.oid')}`,
    // 3
    `SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, c.relpersistence::text AS persistence,
            c.reltuples::float8 AS reltuples, c.relispartition AS ispartition,
            CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS bound,
            pt.partstrat::text AS strategy, pt.partattrs::text AS partattrs
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = c.oid
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ${USER_SCHEMA('n')} AND ${NOT_EXTENSION('pg_class', 'c.oid')}`,
    // 4: partitions' parents, attached partition indexes' parent indexes
    `SELECT h.inhrelid AS child, h.inhparent AS parent FROM pg_catalog.pg_inherits h`,
    // 5: columns (sequences' own columns are not modelled)
    `SELECT a.attrelid AS rel, a.attnum AS num, a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS notnull, a.atthasdef AS hasdef, a.attidentity::text AS identity, ${generated} AS generated,
            CASE WHEN a.atthasdef THEN (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum) END AS def
       FROM pg_catalog.pg_attribute a
      WHERE a.attnum > 0 AND NOT a.attisdropped
        AND a.attrelid IN (SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relnamespace IN ${USER_NAMESPACES})`,
    // 6: constraints (a constraint's namespace is its table's)
    `SELECT k.oid, k.conrelid AS rel, k.conname AS name, k.contype::text AS type, k.convalidated AS validated, k.conkey AS cols,
            ${parentCon} AS parent, k.conindid AS index, k.confrelid AS ref,
            CASE WHEN k.contype = 'f' THEN (SELECT ARRAY[rn.nspname::text, rc.relname::text] FROM pg_catalog.pg_class rc JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = k.confrelid) END AS ref_name,
            CASE WHEN k.contype = 'f' THEN ARRAY(SELECT ra.attname::text FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY u(num, ord)
                                                  JOIN pg_catalog.pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = u.num ORDER BY u.ord) END AS ref_cols,
            CASE WHEN k.contype = 'c' THEN pg_catalog.pg_get_expr(k.conbin, k.conrelid) END AS expr
       FROM pg_catalog.pg_constraint k
      WHERE k.contype IN ${contypes} AND k.conrelid <> 0 AND k.connamespace IN ${USER_NAMESPACES}`,
    // 7: indexes
    `SELECT i.indrelid AS rel, ic.oid, ic.relname AS name, ic.relpages AS pages, i.indisunique AS is_unique, i.indisvalid AS valid,
            ${nkeys} AS nkeys, i.indkey::text AS keys, i.indpred IS NOT NULL AS partial, am.amname AS method,
            pg_catalog.pg_get_expr(i.indexprs, i.indrelid) AS exprs, pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS pred
       FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_catalog.pg_am am ON am.oid = ic.relam
      WHERE ${IN_USER_RELATIONS('i.indrelid')}`,
    // 8: enums, values in enumsortorder
    `SELECT n.nspname AS schema, t.typname AS name, ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS vals
       FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
      WHERE t.typtype = 'e' AND ${USER_SCHEMA('n')} AND ${NOT_EXTENSION('pg_type', 't.oid')}`,
    // 9: domains with their constraints
    `SELECT n.nspname AS schema, t.typname AS name, pg_catalog.format_type(t.typbasetype, t.typtypmod) AS base, t.typnotnull AS notnull,
            ARRAY(SELECT k.conname::text FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid AND k.contype IN ${domainContypes} ORDER BY k.conname) AS con_names,
            ARRAY(SELECT k.contype::text FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid AND k.contype IN ${domainContypes} ORDER BY k.conname) AS con_types,
            ARRAY(SELECT k.convalidated FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid AND k.contype IN ${domainContypes} ORDER BY k.conname) AS con_valid
       FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
      WHERE t.typtype = 'd' AND ${USER_SCHEMA('n')} AND ${NOT_EXTENSION('pg_type', 't.oid')}`,
    // 10: user functions' volatility
    `SELECT p.proname AS name, p.provolatile::text AS volatility
       FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      WHERE ${prokind} AND ${USER_SCHEMA('n')} AND ${NOT_EXTENSION('pg_proc', 'p.oid')}`,
    // 11: what views and materialized views read (their rewrite rule's dependencies)
    // (by name: a view may read a relation that is not in the model, a system catalog or an extension's view)
    `SELECT DISTINCT r.ev_class AS rel, dn.nspname AS dep_schema, dc.relname AS dep_name
       FROM pg_catalog.pg_rewrite r
       JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid
                                  AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid <> r.ev_class AND d.deptype = 'n'
       JOIN pg_catalog.pg_class dc ON dc.oid = d.refobjid
       JOIN pg_catalog.pg_namespace dn ON dn.oid = dc.relnamespace
      WHERE ${IN_USER_RELATIONS('r.ev_class')}`,
    // 12: restore the caller's search_path (inside the caller's own transaction, SET LOCAL would outlive this batch)
    `SELECT pg_catalog.set_config('search_path', pg_catalog.current_setting('ddlguard.saved_search_path'), true)`,
  ].join(';\n');
}

/** Tables' and materialized views' heap bytes (exact) and TOAST table pages (from the catalog). */
const SIZES_SQL = `SELECT c.oid, pg_catalog.pg_relation_size(c.oid) AS heap, COALESCE(t.relpages, 0) AS toast_pages
   FROM pg_catalog.pg_class c
   LEFT JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid
  WHERE c.relkind IN ('r', 'm') AND c.relnamespace IN ${USER_NAMESPACES}`;

// ------------------------------------------------------------------ model

interface CatalogRows {
  schemas: any[];
  relations: any[];
  inherits: any[];
  columns: any[];
  constraints: any[];
  indexes: any[];
  enums: any[];
  domains: any[];
  functions: any[];
  dependencies: any[];
}

const KINDS: Record<string, RelationKind> = {
  r: 'table',
  p: 'partitioned-table',
  v: 'view',
  m: 'materialized-view',
  S: 'sequence',
  f: 'foreign-table',
};

const STRATEGIES: Record<string, RelationModel['partitionStrategy']> = { r: 'range', l: 'list', h: 'hash' };

const VOLATILITY: Record<string, Volatility> = { v: 'volatile', s: 'stable', i: 'immutable' };

const CONSTRAINT_KINDS: Record<string, ConstraintModel['kind']> = {
  p: 'primary-key',
  u: 'unique',
  f: 'foreign-key',
  c: 'check',
  x: 'exclude',
  n: 'not-null',
};

interface BuiltModel {
  model: SchemaModel;
  byOid: Map<number, RelationModel>;
  /** Table oid -> pages of its indexes. */
  indexPages: Map<number, number>;
  /** Relation oid -> pg_class.reltuples (-1: never analyzed). */
  reltuples: Map<number, number>;
}

function buildModel(r: CatalogRows, origin: Origin): BuiltModel {
  const model = new SchemaModel();
  for (const s of r.schemas) model.schemas.add(String(s.name));
  for (const f of r.functions) {
    const name = String(f.name).toLowerCase();
    const vol = VOLATILITY[String(f.volatility)] ?? 'volatile';
    // Overloads of one name: the most volatile decides (unknown counts as volatile too).
    const prev = model.functions.get(name);
    if (!prev || RANK[vol] > RANK[prev]) model.functions.set(name, vol);
  }

  const types = parseTypes([...r.columns.map((c) => String(c.type)), ...r.domains.map((d) => String(d.base))]);

  const parentOf = new Map<number, number>();
  for (const h of r.inherits) parentOf.set(h.child, h.parent);

  // Relations, by oid (extension members are not among them: rows of the other queries that
  // belong to one are dropped below).
  const byOid = new Map<number, RelationModel>();
  const raw = new Map<number, any>();
  for (const row of r.relations) {
    const rel = model.newRelation(relKey(row.schema, row.name), KINDS[row.kind] ?? 'table', origin);
    rel.unlogged = row.persistence === 'u';
    byOid.set(row.oid, rel);
    raw.set(row.oid, row);
  }
  for (const [oid, row] of raw) {
    const rel = byOid.get(oid)!;
    if (row.ispartition === true) {
      const parent = byOid.get(parentOf.get(oid) ?? 0);
      if (parent) {
        rel.partitionOf = parent.key;
        parent.partitions.add(rel.key);
      }
      rel.partitionBound = row.bound ?? null;
    }
    if (row.strategy) rel.partitionStrategy = STRATEGIES[row.strategy] ?? null;
  }

  // Columns, in attnum order; attnums kept per relation for constraint and index keys.
  const attnames = new Map<number, Map<number, string>>();
  const withDefault: Array<{ col: ColumnModel; def: string }> = [];
  // A generated column's expression is its pg_attrdef row: the columns it reads.
  const withGenerated: Array<{ col: ColumnModel; def: string }> = [];
  const columnRows = r.columns.filter((c) => byOid.has(c.rel)).sort((a, b) => a.rel - b.rel || a.num - b.num);
  for (const row of columnRows) {
    const rel = byOid.get(row.rel)!;
    let names = attnames.get(row.rel);
    if (!names) attnames.set(row.rel, (names = new Map()));
    names.set(Number(row.num), String(row.name));
    const generated = row.generated === 's' ? 'stored' : row.generated === 'v' ? 'virtual' : null;
    const identity = row.identity === 'a' || row.identity === 'd';
    const col: ColumnModel = {
      name: String(row.name),
      type: copyType(types.get(String(row.type))) ?? unknownType(String(row.type)),
      notNull: row.notnull === true,
      // A generation expression is stored as a default, but it is not one; an identity column has
      // no pg_attrdef row, but its values come from a sequence (replay counts it as a default too).
      hasDefault: (row.hasdef === true && !generated) || identity,
      defaultVolatile: false,
      generated,
      identity,
      origin,
    };
    if (col.hasDefault && !identity && typeof row.def === 'string') withDefault.push({ col, def: row.def });
    if (generated && typeof row.def === 'string') withGenerated.push({ col, def: row.def });
    rel.columns.set(col.name, col);
  }
  const volatile = defaultsVolatility(
    withDefault.map((d) => d.def),
    model.functions,
  );
  withDefault.forEach((d, i) => (d.col.defaultVolatile = volatile[i]!));
  const generationTrees = parseExpressions(withGenerated.map((g) => g.def));
  withGenerated.forEach((g, i) => {
    const tree = generationTrees[i];
    if (tree) g.col.generatedFrom = [...new Set(columnRefs(tree))];
  });

  for (const [oid, row] of raw) {
    if (!row.partattrs) continue;
    const names = attnames.get(oid);
    byOid.get(oid)!.partitionKey = attnums(row.partattrs)
      .filter((n) => n > 0)
      .map((n) => names?.get(n) ?? String(n));
  }

  const indexNames = new Map<number, string>();
  for (const row of r.indexes) indexNames.set(row.oid, String(row.name));

  // Constraints. A foreign key to a partitioned table also has one internal row per referenced
  // partition on the referencing table (its parent constraint is on that same table): left out.
  const conRel = new Map<number, number>();
  for (const row of r.constraints) conRel.set(row.oid, row.rel);
  const checks: Array<{ con: ConstraintModel; expr: string }> = [];
  for (const row of r.constraints) {
    const rel = byOid.get(row.rel);
    const kind = CONSTRAINT_KINDS[String(row.type)];
    if (!rel || !kind) continue;
    if (row.parent && conRel.get(row.parent) === row.rel) continue;
    const names = attnames.get(row.rel);
    const columns = ((row.cols ?? []) as number[]).filter((n) => n > 0).map((n) => names?.get(n) ?? String(n));
    const con: ConstraintModel = {
      name: String(row.name),
      kind,
      columns,
      validated: row.validated === true,
      notNullColumn: kind === 'not-null' ? (columns[0] ?? null) : null,
      references: kind === 'foreign-key' && row.ref_name ? relKey(row.ref_name[0], row.ref_name[1]) : null,
      referencesColumns: kind === 'foreign-key' ? ((row.ref_cols ?? []) as string[]) : [],
      index: kind === 'primary-key' || kind === 'unique' || kind === 'exclude' ? (indexNames.get(row.index) ?? null) : null,
      origin,
    };
    rel.constraints.set(con.name, con);
    if (kind === 'check' && typeof row.expr === 'string' && /IS NOT NULL/i.test(row.expr)) checks.push({ con, expr: row.expr });
    // PostgreSQL 18: attnotnull is already set while a NOT NULL constraint is NOT VALID.
    if (kind === 'not-null' && !con.validated && con.notNullColumn) {
      const col = rel.columns.get(con.notNullColumn);
      if (col) col.notNull = false;
    }
  }
  const trees = parseExpressions(checks.map((c) => c.expr));
  checks.forEach((c, i) => (c.con.notNullColumn = trees[i] ? isNotNullTestColumn(trees[i]) : null));

  // Indexes.
  const indexKeys = new Map<number, string>();
  const indexPages = new Map<number, number>();
  for (const row of r.indexes) {
    const rel = byOid.get(row.rel);
    if (!rel) continue;
    indexKeys.set(row.oid, relKey(rel.schema, String(row.name)));
    indexPages.set(row.rel, (indexPages.get(row.rel) ?? 0) + Number(row.pages ?? 0));
  }
  for (const row of r.indexes) {
    const rel = byOid.get(row.rel);
    if (!rel) continue;
    const parentIndex = parentOf.get(row.oid);
    const key = indexKeys.get(row.oid)!;
    const names = attnames.get(row.rel);
    const keyCols = attnums(row.keys).slice(0, Number(row.nkeys));
    model.indexes.set(
      key,
      indexRecord({
        key,
        schema: rel.schema,
        name: String(row.name),
        table: rel.key,
        columns: keyCols.filter((n) => n > 0).map((n) => names?.get(n) ?? String(n)),
        unique: row.is_unique === true,
        expressions: keyCols.filter((n) => n === 0).length,
        ...(row.exprs ? { expressionColumns: indexExpressionColumns(String(row.exprs)) } : {}),
        partial: row.partial === true,
        ...(row.pred ? { predicateColumns: indexExpressionColumns(String(row.pred)) } : {}),
        valid: row.valid === true,
        method: String(row.method),
        parent: parentIndex !== undefined ? (indexKeys.get(parentIndex) ?? null) : null,
        origin,
      }),
    );
    rel.indexes.add(key);
  }

  // View and materialized view dependencies.
  for (const row of r.dependencies) {
    const rel = byOid.get(row.rel);
    // Not the system catalogs' (replay leaves them out too; PostgreSQL records no dependency on most).
    if (row.dep_schema === 'pg_catalog') continue;
    const dep = relKey(String(row.dep_schema), String(row.dep_name));
    if (rel && !rel.dependsOn.includes(dep)) rel.dependsOn.push(dep);
  }
  for (const rel of byOid.values()) rel.dependsOn.sort();

  // Enums and domains.
  for (const row of r.enums) {
    const key = relKey(row.schema, row.name);
    model.enums.set(key, { key, values: (row.vals ?? []).map(String), origin });
  }
  for (const row of r.domains) {
    const key = relKey(row.schema, row.name);
    const constraints: DomainConstraint[] = ((row.con_names ?? []) as string[]).map((name, i) => ({
      name,
      kind: row.con_types?.[i] === 'n' ? 'not-null' : 'check',
      validated: row.con_valid?.[i] !== false,
    }));
    const notNull = row.notnull === true;
    // Before 17 a domain's NOT NULL has no pg_constraint row: named the way PostgreSQL 17 names it.
    if (notNull && !constraints.some((c) => c.kind === 'not-null')) constraints.push({ name: `${row.name}_not_null`, kind: 'not-null', validated: true });
    model.domains.set(key, {
      key,
      base: copyType(types.get(String(row.base))) ?? unknownType(String(row.base)),
      notNull,
      constraints,
      hasConstraints: notNull || constraints.length > 0,
      origin,
    });
  }

  const reltuples = new Map<number, number>();
  for (const [oid, row] of raw) reltuples.set(oid, Number(row.reltuples));
  return { model, byOid, indexPages, reltuples };
}

/** Sizes: tables and materialized views from the catalog, partitioned tables summed over their leaves. */
function addSizes({ model, byOid, indexPages, reltuples }: BuiltModel, rows: any[], blockSize: number): void {
  for (const row of rows) {
    const rel = byOid.get(row.oid);
    if (!rel) continue;
    const heapBytes = Number(row.heap);
    const indexBytes = (indexPages.get(row.oid) ?? 0) * blockSize;
    const toastBytes = Number(row.toast_pages ?? 0) * blockSize;
    const tuples = reltuples.get(row.oid) ?? -1;
    rel.size = {
      // Never analyzed (-1): unknown, unless the heap is empty.
      rows: tuples >= 0 ? Math.round(tuples) : heapBytes === 0 ? 0 : null,
      heapBytes,
      indexBytes,
      toastBytes,
      totalBytes: heapBytes + indexBytes + toastBytes,
    };
  }
  for (const rel of byOid.values()) if (rel.kind === 'partitioned-table') rel.size = leafSum(model, rel);
}

const RANK: Record<Volatility, number> = { immutable: 0, stable: 1, volatile: 2 };

/** Sizes summed over the leaf partitions; rows null when a leaf has no estimate (never analyzed, not empty). */
function leafSum(model: SchemaModel, rel: RelationModel, seen = new Set<string>()): RelationSize {
  const out: RelationSize = { rows: 0, heapBytes: 0, indexBytes: 0, toastBytes: 0, totalBytes: 0 };
  let unknown = false;
  const visit = (r: RelationModel) => {
    if (seen.has(r.key)) return;
    seen.add(r.key);
    if (r.kind === 'partitioned-table') {
      for (const p of r.partitions) {
        const child = model.relations.get(p);
        if (child) visit(child);
      }
      return;
    }
    if (!r.size) {
      unknown = true;
      return;
    }
    out.heapBytes += r.size.heapBytes;
    out.indexBytes += r.size.indexBytes;
    out.toastBytes += r.size.toastBytes;
    out.totalBytes += r.size.totalBytes;
    if (r.size.rows === null) unknown = true;
    else out.rows = (out.rows ?? 0) + r.size.rows;
  };
  visit(rel);
  if (unknown) out.rows = null;
  return out;
}

/** int2vector text (`1 3 0`) -> attnums. */
function attnums(text: unknown): number[] {
  if (typeof text !== 'string' || !text.trim()) return [];
  return text.trim().split(/\s+/).map(Number);
}

/** Each column its own TypeRef (one parsed per distinct type string). */
function copyType(t: TypeRef | undefined): TypeRef | undefined {
  return t && { name: t.name, schema: t.schema, mods: t.mods.length ? [...t.mods] : [], array: t.array };
}

function unknownType(text: string): TypeRef {
  return { name: text, schema: null, mods: [], array: false };
}

/** format_type strings -> TypeRefs: every distinct string once, parsed in one `SELECT NULL::t1, NULL::t2, ...`. */
export function parseTypes(texts: readonly string[]): Map<string, TypeRef> {
  const distinct = [...new Set(texts)];
  const out = new Map<string, TypeRef>();
  const trees = parseTargets(distinct.map((t) => `NULL::${t}`));
  distinct.forEach((t, i) => {
    const tn = trees[i]?.TypeCast?.typeName;
    if (tn) out.set(t, typeRefFromTypeName(tn));
  });
  return out;
}

/**
 * The columns an index's expressions read (pg_get_expr of indexprs is the list of them, comma
 * separated): a type change of such a column rebuilds the index even when it is binary-compatible,
 * as replay records for indexes created in the files.
 */
function indexExpressionColumns(exprs: string): string[] {
  return [...new Set((selectTargets(exprs) ?? []).flatMap((t) => (t ? columnRefs(t) : [])))];
}

/** The parse trees of a comma-separated expression list (`SELECT <list>`), or null when it does not parse. */
function selectTargets(list: string): any[] | null {
  try {
    const stmt = parseRaw(`SELECT ${list}`).stmts[0]?.stmt as any;
    return (stmt?.SelectStmt?.targetList ?? []).map((t: any) => t?.ResTarget?.val ?? null);
  } catch {
    return null;
  }
}

/** Parse trees of expressions (null for one that does not parse): each distinct text once, in one statement when they all parse. */
function parseExpressions(exprs: readonly string[]): Array<unknown | null> {
  const distinct = [...new Set(exprs)];
  const trees = parseTargets(distinct.map((e) => `(${e})`));
  const byText = new Map(distinct.map((e, i) => [e, trees[i] ?? null]));
  return exprs.map((e) => byText.get(e) ?? null);
}

function parseTargets(items: readonly string[]): Array<any | null> {
  if (items.length === 0) return [];
  const all = selectTargets(items.join(',\n'));
  if (all && all.length === items.length) return all;
  // One of them does not parse on its own terms: one by one, so the others still count.
  return items.map((it) => selectTargets(it)?.[0] ?? null);
}

/**
 * Whether each default (pg_get_expr text) is volatile, by the same rule as replay.
 * A default without a function call (a constant, a cast, CURRENT_TIMESTAMP) is not:
 * only those that may call one are parsed, all in one statement.
 */
function defaultsVolatility(defs: readonly string[], functions: ReadonlyMap<string, Volatility>): boolean[] {
  const out = defs.map(() => false);
  const pending: number[] = [];
  defs.forEach((d, i) => {
    if (/[\p{L}_"][\p{L}\p{N}_$"]*\s*\(/u.test(d)) pending.push(i);
  });
  const trees = parseExpressions(pending.map((i) => defs[i]!));
  const verdicts = new Map<unknown, boolean>();
  pending.forEach((at, j) => {
    const tree = trees[j];
    // Unparseable: count it volatile, as replay counts an unknown function.
    if (tree == null) out[at] = true;
    else {
      let v = verdicts.get(tree);
      if (v === undefined) verdicts.set(tree, (v = expressionVolatility(tree, functions).volatile));
      out[at] = v;
    }
  });
  return out;
}

// ------------------------------------------------------------------ the planner's facts

export interface LiveFacts {
  /** Server major version (e.g. 16). */
  pgVersion: number;
  /** `schema.table` -> estimated rows and total bytes (table + indexes + TOAST); partitioned tables summed over their partitions. */
  tableSizes: Map<string, { rows: number; bytes: number }>;
}

export async function readLiveFacts(url: string): Promise<LiveFacts> {
  const { model, pgVersion } = await introspectLive(url);
  const tableSizes = new Map<string, { rows: number; bytes: number }>();
  for (const rel of model.relations.values()) {
    if (rel.size) tableSizes.set(rel.key, { rows: rel.size.rows ?? 0, bytes: rel.size.totalBytes });
  }
  return { pgVersion, tableSizes };
}
