/**
 * ALTER COLUMN ... TYPE that rewrites the table -> new column + sync trigger,
 * batched backfill, then (contract) one short guarded transaction that drops
 * the trigger and the old column and renames the new one into place.
 * Binary-compatible changes stay as they are.
 */
import { derivedName, quoteIdent } from '../../sql/quote.js';
import { columnCheck, dynamicCheck, qrel, relationModel, triggerAbsentCheck, type Rewrite } from '../context.js';
import { typeRefFromTypeName } from '../../sql/ast.js';
import { alterTarget, allOf, anyOf, batchGuard, batchKey, batchSpec, copyDefaultSql, notNullSteps, singleAlterCmd } from './common.js';
import { dropSyncSql, shadowBlocker, syncNames, triggerExistsCheck, triggerSql } from './shadow.js';

export const alterColumnType: Rewrite = (stmt, effects, ctx) => {
  const cmd = singleAlterCmd(stmt);
  if (cmd?.subtype !== 'AT_AlterColumnType' || !cmd.name) return null;
  const eff = effects.effects.find((e) => e.fact.id === 'alter-column-type');
  if (!eff) return null; // binary compatible: catalog only
  const def = cmd.def?.ColumnDef;
  if (def?.collClause) {
    ctx.reason('COLLATE in ALTER COLUMN TYPE is not carried over by the rewrite yet');
    return null;
  }
  const table = alterTarget(ctx);
  const rel = relationModel(ctx, table);
  const column: string = cmd.name;
  const blocker = shadowBlocker(ctx, rel, column);
  if (blocker) {
    ctx.reason(`cannot move the column to a new one: ${blocker}`);
    return null;
  }
  const key = batchKey(ctx, table);
  if (!key) return null;
  const batched = batchGuard(ctx, table, key);
  const typeStart = ctx.text.index(def?.typeName?.location ?? 0);
  const typeText = ctx.text.exprFrom(typeStart, ['USING', 'COLLATE']).text;
  const usingTok = ctx.text.findKeyword('USING', typeStart);
  const using = usingTok ? ctx.text.exprFrom(usingTok.end, []).text : quoteIdent(column);
  if (!typeText || !using) return null;
  const t = qrel(table);
  const c = quoteIdent(column);
  const shadow = derivedName(column, '__ddlg_new');
  const s = quoteIdent(shadow);
  const conv = `CAST((${using}) AS ${typeText})`;
  const { trigger } = syncNames(table, column);
  const notNull = Boolean(rel!.columns.get(column)?.notNull);
  const body = [
    'BEGIN',
    `  NEW.${s} := (SELECT ${conv} FROM (SELECT NEW.*) AS ddlg_row);`,
    '  RETURN NEW;',
    'END',
  ].join('\n');
  const predicate = `${s} IS DISTINCT FROM ${conv}`;
  // After the swap the shadow column is gone; when the base type changes, the column's type tells the swap happened.
  const from = rel!.columns.get(column)!.type;
  const to = typeRefFromTypeName(def?.typeName);
  const swapDone =
    from.name !== to.name || from.schema !== to.schema || from.array !== to.array
      ? allOf(columnCheck(table, shadow, { absent: true }), triggerAbsentCheck(table, trigger), columnCheck(table, column, { type: typeText }))
      : null;
  const orSwapped = (check: string) => (swapDone ? anyOf(swapDone, check) : check);
  const steps = [
    ctx.step({
      label: `type-${column}-add-shadow`,
      phase: 'expand',
      sql: `ALTER TABLE ${t} ADD COLUMN ${s} ${typeText}`,
      fact: 'add-column',
      relation: table.key,
      doneCheck: orSwapped(columnCheck(table, shadow)),
      rollback: `ALTER TABLE ${t} DROP COLUMN IF EXISTS ${s}`,
      notes: [`${eff.typeChange?.reason ?? 'the type change rewrites the table'}: the new values go to column ${shadow} instead`],
    }),
    ctx.step({
      label: `type-${column}-sync-trigger`,
      phase: 'expand',
      sql: triggerSql(ctx, table, column, body),
      fact: 'create-trigger',
      relation: table.key,
      doneCheck: orSwapped(triggerExistsCheck(table, trigger)),
      rollback: dropSyncSql(table, column),
      notes: [`keeps ${shadow} = ${conv} on every INSERT and UPDATE`],
    }),
    ctx.step({
      label: `type-${column}-backfill`,
      phase: 'migrate',
      sql: `UPDATE ${t} SET ${s} = ${conv} WHERE ${predicate}`,
      fact: 'update',
      relation: table.key,
      guard: batched.guard,
      batch: batchSpec(ctx, table, key, `UPDATE ${t} SET ${s} = ${conv}`, predicate, predicate),
      doneCheck: dynamicCheck(swapDone ? `(${swapDone})` : 'false', `SELECT NOT EXISTS (SELECT 1 FROM ${t} WHERE ${predicate})`),
      notes: ['a value that does not convert fails here, before anything is swapped', ...batched.notes],
    }),
  ];
  if (notNull) steps.push(...notNullSteps(ctx, table, shadow, 'migrate', `${column}-shadow`, swapDone));
  const swap = [dropSyncSql(table, column) + ';', copyDefaultSql(table, column, shadow) + ';', `ALTER TABLE ${t} DROP COLUMN ${c};`, `ALTER TABLE ${t} RENAME COLUMN ${s} TO ${c}`];
  if (notNull && ctx.pgVersion >= 18) {
    swap.push(`;\nALTER TABLE ${t} RENAME CONSTRAINT ${quoteIdent(derivedName(`${table.name}_${shadow}`, '_not_null'))} TO ${quoteIdent(derivedName(`${table.name}_${column}`, '_not_null'))}`);
  }
  steps.push(
    ctx.step({
      label: `type-${column}-swap`,
      phase: 'contract',
      sql: swap.join('\n').replace(/\n;/g, ';'),
      fact: 'drop-column',
      relation: table.key,
      doneCheck: swapDone,
      irreversible: true,
      notes: [
        'one short transaction under ACCESS EXCLUSIVE: drops the trigger and the old column, renames the new column into place and copies its DEFAULT',
        'the column moves to the end of the column order',
        ...(swapDone ? [] : ['the base type does not change, so a finished swap cannot be told from a fresh start: do not rerun the finished plan']),
        'views and functions that depend on the column block the DROP COLUMN (the transaction rolls back): recreate them around the swap',
      ],
    }),
  );
  return steps;
};
