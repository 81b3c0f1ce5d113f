/**
 * RENAME COLUMN on an existing table -> expand: new column + two-way sync
 * trigger + batched backfill; contract (a later release): drop the trigger and
 * the old column.
 */
import { derivedName, quoteIdent } from '../../sql/quote.js';
import { displayTypeName, type TypeRef } from '../../sql/ast.js';
import { columnCheck, dynamicCheck, qrel, relName, relationModel, type Rewrite } from '../context.js';
import { allOf, anyOf, batchGuard, batchKey, batchSpec, copyDefaultSql, notNullSteps } from './common.js';
import { dropSyncSql, shadowBlocker, syncNames, triggerExistsCheck, triggerSql } from './shadow.js';
import { qnameFromRangeVar } from '../../sql/ast.js';

export function typeSql(t: TypeRef): string | null {
  if (!t.name || t.name === 'unknown') return null;
  const shown = displayTypeName(t.name);
  const base = shown !== t.name || !t.schema ? (shown === t.name ? quoteIdent(t.name) : shown) : `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
  const serial: Record<string, string> = { serial: 'integer', bigserial: 'bigint', smallserial: 'smallint' };
  return (serial[t.name] ?? base) + (t.mods.length ? `(${t.mods.join(',')})` : '') + (t.array ? '[]' : '');
}

export const renameColumn: Rewrite = (stmt, _effects, ctx) => {
  const n = stmt.node;
  if (stmt.kind !== 'RenameStmt' || n.renameType !== 'OBJECT_COLUMN' || !n.subname || !n.newname) return null;
  const table = relName(ctx, qnameFromRangeVar(n.relation));
  const rel = relationModel(ctx, table);
  const oldName: string = n.subname;
  const newName: string = n.newname;
  const blocker = shadowBlocker(ctx, rel, oldName);
  if (blocker) {
    ctx.reason(`cannot rename through a new column: ${blocker}`);
    return null;
  }
  const col = rel!.columns.get(oldName)!;
  const type = typeSql(col.type);
  if (!type) {
    ctx.reason(`the type of ${oldName} is not known`);
    return null;
  }
  const key = batchKey(ctx, table);
  if (!key) return null;
  const batched = batchGuard(ctx, table, key);
  const t = qrel(table);
  const o = quoteIdent(oldName);
  const nw = quoteIdent(newName);
  const { trigger } = syncNames(table, newName);
  const body = [
    'BEGIN',
    "  IF TG_OP = 'INSERT' THEN",
    `    IF NEW.${nw} IS NULL THEN NEW.${nw} := NEW.${o}; ELSIF NEW.${o} IS NULL THEN NEW.${o} := NEW.${nw}; END IF;`,
    `  ELSIF NEW.${nw} IS DISTINCT FROM OLD.${nw} THEN`,
    `    NEW.${o} := NEW.${nw};`,
    '  ELSE',
    `    NEW.${nw} := NEW.${o};`,
    '  END IF;',
    '  RETURN NEW;',
    'END',
  ].join('\n');
  const predicate = `${nw} IS DISTINCT FROM ${o}`;
  const contractDone = allOf(columnCheck(table, oldName, { absent: true }), columnCheck(table, newName));
  const steps = [
    ctx.step({
      label: `rename-${oldName}-add-${newName}`,
      phase: 'expand',
      sql: `ALTER TABLE ${t} ADD COLUMN ${nw} ${type};\n${copyDefaultSql(table, oldName, newName)}`,
      fact: 'add-column',
      relation: table.key,
      doneCheck: columnCheck(table, newName),
      rollback: `ALTER TABLE ${t} DROP COLUMN IF EXISTS ${nw}`,
    }),
    ctx.step({
      label: `rename-${oldName}-sync-trigger`,
      phase: 'expand',
      sql: triggerSql(ctx, table, newName, body),
      fact: 'create-trigger',
      relation: table.key,
      doneCheck: anyOf(contractDone, triggerExistsCheck(table, trigger)),
      rollback: dropSyncSql(table, newName),
      notes: [`writes through either name are copied to the other while old and new application versions run side by side`],
    }),
    ctx.step({
      label: `rename-${oldName}-backfill`,
      phase: 'migrate',
      sql: `UPDATE ${t} SET ${nw} = ${o} WHERE ${predicate}`,
      fact: 'update',
      relation: table.key,
      guard: batched.guard,
      batch: batchSpec(ctx, table, key, `UPDATE ${t} SET ${nw} = ${o}`, predicate, predicate),
      doneCheck: dynamicCheck(`(${contractDone})`, `SELECT NOT EXISTS (SELECT 1 FROM ${t} WHERE ${predicate})`),
      ...(batched.notes.length ? { notes: batched.notes } : {}),
    }),
  ];
  if (col.notNull) steps.push(...notNullSteps(ctx, table, newName, 'migrate', newName, contractDone));
  const contract = [`${dropSyncSql(table, newName)};`, `ALTER TABLE ${t} DROP COLUMN ${o}`];
  if (col.notNull && ctx.pgVersion >= 18) {
    contract[1] += `;\nALTER TABLE ${t} RENAME CONSTRAINT ${quoteIdent(derivedName(`${table.name}_${newName}`, '_not_null'))} TO ${quoteIdent(derivedName(`${table.name}_${oldName}`, '_not_null'))}`;
  }
  steps.push(
    ctx.step({
      label: `rename-${oldName}-drop-old`,
      phase: 'contract',
      sql: contract.join('\n'),
      fact: 'drop-column',
      relation: table.key,
      doneCheck: contractDone,
      irreversible: true,
      notes: [
        'contract: run in a later release, once no deployed code reads or writes the old column name',
        'the renamed column moves to the end of the column order',
      ],
    }),
  );
  return steps;
};
