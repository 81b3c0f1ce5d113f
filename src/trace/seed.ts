/**
 * `--seed-rows N`: fill every pre-existing table with N generated rows whose
 * values match the column types, so that scans, rewrites and validations in
 * the traced migration have something to work on. Row g (1..N) gets the value
 * derived from g in every column, so single-column foreign keys to an integer
 * or text key line up with the referenced table's rows.
 */
import { quoteIdentAlways as quoteIdent } from '../sql/quote.js';
import type { Engine } from './engine.js';

interface SeedColumn {
  name: string;
  type: string;
  baseType: string;
  typtype: string;
  category: string;
  notNull: boolean;
  hasDefault: boolean;
  identity: string;
  generated: string;
  enumLabel: string | null;
}


function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A SQL expression of `g` for one column, or null to leave the column to its default. */
export function valueExpression(c: SeedColumn): string | null {
  if (c.generated !== '' || c.identity === 'a') return null;
  const cast = (e: string) => `(${e})::${c.type}`;
  if (c.typtype === 'e' && c.enumLabel !== null) return cast(quoteLiteral(c.enumLabel));
  const t = c.baseType;
  switch (t) {
    case 'smallint':
      return cast('g % 32767');
    case 'integer':
    case 'bigint':
    case 'numeric':
    case 'real':
    case 'double precision':
    case 'oid':
      return cast('g');
    case 'boolean':
      return cast('g % 2 = 0');
    case 'uuid':
      return cast('md5(g::text)::uuid');
    case 'date':
      return cast(`date '2000-01-01' + (g % 3650000)`);
    case 'timestamp without time zone':
    case 'timestamp with time zone':
      return cast(`timestamp '2000-01-01' + g * interval '1 second'`);
    case 'time without time zone':
    case 'time with time zone':
      return cast(`time '00:00' + (g % 86400) * interval '1 second'`);
    case 'interval':
      return cast(`g * interval '1 second'`);
    case 'json':
    case 'jsonb':
      return cast(`json_build_object('g', g)::text`);
    case 'bytea':
      return cast(`decode(md5(g::text), 'hex')`);
    case 'inet':
    case 'cidr':
      return cast(`('10.0.0.0'::inet + g)::text`);
    case 'money':
      return cast('g::numeric');
  }
  if (c.category === 'S') return cast(`'v' || g`);
  if (c.category === 'N') return cast('g');
  if (c.category === 'A') return c.notNull && !c.hasDefault ? cast(`'{}'`) : c.hasDefault ? null : 'NULL';
  if (c.hasDefault) return null;
  return c.notNull ? cast('NULL') : 'NULL';
}

interface SeedTable {
  oid: string;
  schema: string;
  name: string;
  dependsOn: string[];
}

/**
 * Inserts `rows` rows into every user table (or only those named in `only`, as
 * `schema.name`, that are still empty); returns warnings for tables that could
 * not be filled and the names of those filled.
 */
export async function seedTables(engine: Engine, rows: number, only?: ReadonlySet<string>, filled: string[] = []): Promise<string[]> {
  if (!Number.isInteger(rows) || rows <= 0) return [];
  const warnings: string[] = [];
  const tables = await engine.query<{ oid: string; schema: string; name: string }>(`
    SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS name
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_%'
    ORDER BY 2, 3`);
  const deps = await engine.query<{ rel: string; ref: string }>(`
    SELECT conrelid::text AS rel, confrelid::text AS ref FROM pg_catalog.pg_constraint WHERE contype = 'f'`);
  const list: SeedTable[] = tables.filter((t) => !only || only.has(`${t.schema}.${t.name}`)).map((t) => ({
    oid: String(t.oid),
    schema: String(t.schema),
    name: String(t.name),
    dependsOn: deps.filter((d) => String(d.rel) === String(t.oid) && String(d.ref) !== String(t.oid)).map((d) => String(d.ref)),
  }));
  // Referenced tables first (cycles: whatever order is left).
  const ordered: SeedTable[] = [];
  const done = new Set<string>();
  const pending = [...list];
  while (pending.length) {
    const i = pending.findIndex((t) => t.dependsOn.every((d) => done.has(d) || !list.some((x) => x.oid === d)));
    const [next] = pending.splice(i >= 0 ? i : 0, 1);
    ordered.push(next!);
    done.add(next!.oid);
  }
  for (const t of ordered) {
    const cols = await engine.query(`
      SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
             pg_catalog.format_type(COALESCE(NULLIF(ty.typbasetype, 0), a.atttypid), NULL) AS base,
             ty.typtype::text AS typtype, bt.typcategory::text AS category, a.attnotnull AS notnull,
             a.atthasdef AS hasdef, a.attidentity::text AS identity, a.attgenerated::text AS generated,
             (SELECT e.enumlabel FROM pg_catalog.pg_enum e WHERE e.enumtypid = a.atttypid ORDER BY e.enumsortorder LIMIT 1) AS enum_label
      FROM pg_catalog.pg_attribute a
      JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
      JOIN pg_catalog.pg_type bt ON bt.oid = COALESCE(NULLIF(ty.typbasetype, 0), a.atttypid)
      WHERE a.attrelid = ${Number(t.oid)} AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`);
    const names: string[] = [];
    const exprs: string[] = [];
    for (const r of cols) {
      const c: SeedColumn = {
        name: String(r.name),
        type: String(r.type),
        baseType: String(r.base),
        typtype: String(r.typtype),
        category: String(r.category),
        notNull: r.notnull === true || r.notnull === 't',
        hasDefault: r.hasdef === true || r.hasdef === 't',
        identity: String(r.identity ?? ''),
        generated: String(r.generated ?? ''),
        enumLabel: r.enum_label === null || r.enum_label === undefined ? null : String(r.enum_label),
      };
      const e = valueExpression(c);
      if (e === null) continue;
      names.push(quoteIdent(c.name));
      exprs.push(`${e}`);
    }
    const target = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
    if (only) {
      // Tables a traced file created: fill only those it left empty.
      const any = await engine.query(`SELECT 1 AS x FROM ${target} LIMIT 1`).catch(() => [{ x: 1 }]);
      if (any.length > 0) continue;
    }
    const sql = names.length
      ? `INSERT INTO ${target} (${names.join(', ')}) SELECT ${exprs.join(', ')} FROM pg_catalog.generate_series(1, ${rows}) AS s(g)`
      : `INSERT INTO ${target} SELECT FROM pg_catalog.generate_series(1, ${rows}) AS s(g)`;
    try {
      await engine.exec(sql);
      filled.push(`${t.schema}.${t.name}`);
    } catch (e) {
      warnings.push(`seed rows: could not fill ${t.schema}.${t.name}: ${(e as Error).message}`);
    }
  }
  if (ordered.length) {
    try {
      await engine.exec('ANALYZE');
    } catch {
      // statistics are a nicety
    }
  }
  return warnings;
}
