/** Wording shared by the rules about DROP statements: what a drop reaches, and whether an object is new. */
import { ident, tableSql } from '../src/lint/rule-kit.js';
import type { RuleContext } from '../src/lint/types.js';
import type { Origin, RelationModel, SchemaModel } from '../src/schema/model.js';
import type { DropReach } from '../src/schema/replay.js';

/** Made by an earlier statement of the file being linted: no deployed code uses it yet. */
export function createdHere(ctx: RuleContext, origin: Origin | null | undefined): boolean {
  return Boolean(origin && origin.source === undefined && origin.file === ctx.file);
}

const KIND_WORDS: Record<RelationModel['kind'], [string, string]> = {
  'table': ['table', 'tables'],
  'partitioned-table': ['table', 'tables'],
  'foreign-table': ['foreign table', 'foreign tables'],
  'view': ['view', 'views'],
  'materialized-view': ['materialized view', 'materialized views'],
  'sequence': ['sequence', 'sequences'],
};

function counted(n: number, [one, many]: [string, string]): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "a, b and c" */
export function listed(items: readonly string[], max = 12): string {
  const shown = items.slice(0, max);
  const more = items.length - shown.length;
  const all = more > 0 ? [...shown, `${more} more`] : shown;
  if (all.length <= 1) return all.join('');
  return `${all.slice(0, -1).join(', ')} and ${all[all.length - 1]}`;
}

/** What the drop removes, counted by kind: "3 tables, 1 view and 2 columns". */
export function reachSummary(model: SchemaModel, r: DropReach): string {
  const byKind = new Map<string, number>();
  const order: Array<[string, string]> = [];
  for (const key of r.relations) {
    const words = KIND_WORDS[model.relations.get(key)?.kind ?? 'table'];
    if (!byKind.has(words[0])) order.push(words);
    byKind.set(words[0], (byKind.get(words[0]) ?? 0) + 1);
  }
  const parts = order.map((w) => counted(byKind.get(w[0])!, w));
  if (r.types.length) parts.push(counted(r.types.length, ['type', 'types']));
  if (r.columns.length) parts.push(counted(r.columns.length, ['column', 'columns']));
  if (r.foreignKeys.length) parts.push(counted(r.foreignKeys.length, ['foreign key', 'foreign keys']));
  return listed(parts);
}

/** Every object the drop removes, by name: relations, types, `table.column`, `foreign key x on t`. */
export function reachNames(r: DropReach): string[] {
  return [
    ...r.relations,
    ...r.types,
    ...r.columns.map((c) => `column ${c.table}.${c.column}`),
    ...r.foreignKeys.map((f) => `foreign key ${f.name} on ${f.table}`),
  ];
}

/**
 * The same drop spelled out without CASCADE, dependents first (views over views before the
 * views and tables they read), so PostgreSQL refuses if something unlisted still depends on it.
 */
export function explicitDrops(model: SchemaModel, r: DropReach): string[] {
  // The objects the statement names are dropped by the statement itself (written last).
  const named = new Set(r.named);
  const out: string[] = [];
  for (const f of r.foreignKeys) out.push(`ALTER TABLE ${tableSql(f.table)} DROP CONSTRAINT ${ident(f.name)};`);
  for (const c of r.columns) out.push(`ALTER TABLE ${tableSql(c.table)} DROP COLUMN ${ident(c.column)};`);
  const rels = r.relations.map((k) => model.relations.get(k)).filter((x): x is RelationModel => Boolean(x));
  const keys = new Set(rels.map((x) => x.key));
  const done = new Set<string>();
  // A relation goes once everything in the drop that depends on it has gone.
  const dependsOnIt = (key: string) => rels.filter((x) => !done.has(x.key) && x.key !== key && (x.dependsOn.includes(key) || x.partitionOf === key || x.ownedBy?.table === key));
  for (let guard = 0; done.size < rels.length && guard < rels.length + 1; guard++) {
    for (const x of rels) {
      if (done.has(x.key) || dependsOnIt(x.key).length > 0) continue;
      done.add(x.key);
      // Partitions and owned sequences go with their table.
      if (named.has(x.key) || (x.partitionOf && keys.has(x.partitionOf)) || (x.ownedBy && keys.has(x.ownedBy.table))) continue;
      const what = x.kind === 'view' ? 'VIEW' : x.kind === 'materialized-view' ? 'MATERIALIZED VIEW' : x.kind === 'sequence' ? 'SEQUENCE' : x.kind === 'foreign-table' ? 'FOREIGN TABLE' : 'TABLE';
      out.push(`DROP ${what} ${tableSql(x.key)};`);
    }
  }
  for (const t of r.types) if (!named.has(t)) out.push(`DROP ${model.domains.has(t) ? 'DOMAIN' : 'TYPE'} ${tableSql(t)};`);
  return out;
}
