/** Shadow-column machinery shared by ALTER COLUMN TYPE and RENAME COLUMN: a new column kept in sync by a trigger. */
import { derivedName, quoteIdent, quoteLiteral } from '../../sql/quote.js';
import { SUPPLY_SCHEMA, type RelationModel } from '../../schema/model.js';
import { qrel, regclass, type RelName, type RewriteContext } from '../context.js';
import { dollarTag } from '../../sql/statement-text.js';

export function syncNames(table: RelName, column: string): { fn: { schema: string | null; name: string }; trigger: string } {
  const name = derivedName(`${table.name}_${column}`, '__ddlg_sync');
  return { fn: { schema: table.schema, name }, trigger: name };
}

/** Why the column cannot be moved to a new column without losing something, or null. */
export function shadowBlocker(ctx: RewriteContext, rel: RelationModel | undefined, column: string): string | null {
  if (!rel || rel.placeholder) return `the table is not defined by any source (${SUPPLY_SCHEMA}), so its indexes and constraints on ${column} are unknown`;
  const col = rel.columns.get(column);
  if (!col || (col.inferred && !col.inferred.type)) return `the type of column ${column} is not known (${SUPPLY_SCHEMA})`;
  if (col.identity || col.generated) return `column ${column} is an identity or generated column`;
  for (const k of rel.indexes) {
    const ix = ctx.model.indexes.get(k);
    if (ix?.columns.includes(column)) return `column ${column} is used by index ${ix.name}: moving it to a new column would drop the index`;
  }
  for (const con of rel.constraints.values()) {
    if (con.kind !== 'not-null' && con.columns.includes(column)) return `column ${column} is used by constraint ${con.name}`;
  }
  if (rel.kind !== 'table') return `${rel.key} is a ${rel.kind}`;
  return null;
}

export function triggerSql(ctx: RewriteContext, table: RelName, column: string, body: string): string {
  const { fn, trigger } = syncNames(table, column);
  const tag = dollarTag(body);
  const exec = ctx.pgVersion >= 11 ? 'FUNCTION' : 'PROCEDURE';
  return [
    `CREATE OR REPLACE FUNCTION ${qrel(fn)}() RETURNS trigger LANGUAGE plpgsql AS ${tag}`,
    body,
    `${tag};`,
    `CREATE TRIGGER ${quoteIdent(trigger)} BEFORE INSERT OR UPDATE ON ${qrel(table)} FOR EACH ROW EXECUTE ${exec} ${qrel(fn)}()`,
  ].join('\n');
}

export function triggerExistsCheck(table: RelName, trigger: string): string {
  return `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = ${regclass(table)} AND t.tgname = ${quoteLiteral(trigger)})`;
}

export function dropSyncSql(table: RelName, column: string): string {
  const { fn, trigger } = syncNames(table, column);
  return `DROP TRIGGER IF EXISTS ${quoteIdent(trigger)} ON ${qrel(table)};\nDROP FUNCTION IF EXISTS ${qrel(fn)}()`;
}
