/** A comparable description of one table's schema, and the difference of two. */
import type pg from 'pg';

/**
 * Columns (by name: column order may differ by design), with type, NOT NULL and
 * default; indexes (definition, INVALID when not valid); constraints
 * (definition, NOT VALIDATED when not validated); triggers (user triggers).
 */
export async function describeTable(c: pg.Client, table: string): Promise<string[]> {
  const out: string[] = [];
  const cols = await c.query(
    `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, pg_get_expr(d.adbin, d.adrelid) AS dflt
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attname`,
    [table],
  );
  for (const r of cols.rows) out.push(`column ${r.attname} ${r.type}${r.attnotnull ? ' NOT NULL' : ''}${r.dflt ? ` DEFAULT ${r.dflt}` : ''}`);
  const idx = await c.query(
    `SELECT pg_get_indexdef(i.indexrelid) AS def, i.indisvalid AND i.indisready AS valid FROM pg_index i WHERE i.indrelid = $1::regclass ORDER BY 1`,
    [table],
  );
  for (const r of idx.rows) out.push(`index ${r.def}${r.valid ? '' : ' INVALID'}`);
  const con = await c.query(
    `SELECT conname, pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY conname`,
    [table],
  );
  for (const r of con.rows) out.push(`constraint ${r.conname} ${r.def}${r.convalidated ? '' : ' (NOT VALIDATED)'}`);
  const trg = await c.query(`SELECT tgname, pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal ORDER BY 1`, [table]);
  for (const r of trg.rows) out.push(`trigger ${r.def}`);
  return out;
}

export interface SchemaDiff {
  identical: boolean;
  onlyA: string[];
  onlyB: string[];
}

export function diffSchemas(a: string[], b: string[]): SchemaDiff {
  const onlyA = a.filter((x) => !b.includes(x));
  const onlyB = b.filter((x) => !a.includes(x));
  return { identical: onlyA.length === 0 && onlyB.length === 0, onlyA, onlyB };
}
