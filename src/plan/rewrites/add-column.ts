/**
 * ADD COLUMN with a volatile DEFAULT (or any DEFAULT before PostgreSQL 11) on an
 * existing table -> add the column nullable, SET DEFAULT for new rows, batched
 * backfill of existing rows (migrate), then the NOT NULL steps.
 */
import { quoteIdent } from '../../sql/quote.js';
import { columnCheck, qrel, type Rewrite } from '../context.js';
import { alterTarget, batchGuard, batchKey, batchSpec, notNullSteps, remainingCheck, singleAlterCmd } from './common.js';

export { COLUMN_STOPS } from '../../sql/statement-text.js';
import { COLUMN_STOPS } from '../../sql/statement-text.js';

export const addColumn: Rewrite = (stmt, effects, ctx) => {
  const cmd = singleAlterCmd(stmt);
  const def = cmd?.subtype === 'AT_AddColumn' ? cmd.def?.ColumnDef : null;
  if (!def) return null;
  const ids = effects.effects.map((e) => e.fact.id);
  const volatile = ids.includes('add-column-default-volatile');
  const rewritingDefault = ids.includes('add-column-default') && ctx.pgVersion < 11;
  if (ids.includes('add-column-not-null')) {
    ctx.reason('ADD COLUMN ... NOT NULL without a DEFAULT fails on a non-empty table: add it nullable, backfill, then SET NOT NULL');
    return null;
  }
  if (!volatile && !rewritingDefault) return null;
  const cons: any[] = (def.constraints ?? []).map((c: any) => c?.Constraint).filter(Boolean);
  const other = cons.filter((c) => !['CONSTR_NOTNULL', 'CONSTR_NULL', 'CONSTR_DEFAULT'].includes(c.contype));
  if (other.length) {
    ctx.reason('the column has constraints besides NOT NULL / DEFAULT: split them into their own statements so each can be planned');
    return null;
  }
  const dflt = cons.find((c) => c.contype === 'CONSTR_DEFAULT');
  if (!dflt) return null;
  const table = alterTarget(ctx);
  const key = batchKey(ctx, table);
  if (!key) return null;
  const batched = batchGuard(ctx, table, key);
  const typeStart = ctx.text.index(def.typeName?.location ?? 0);
  const typeText = ctx.text.exprFrom(typeStart, COLUMN_STOPS).text;
  const defaultTok = ctx.text.tokens[ctx.text.tokenAt(ctx.text.index(dflt.location))];
  if (!typeText || !defaultTok) return null;
  const expr = ctx.text.exprFrom(defaultTok.end, COLUMN_STOPS).text;
  const col: string = def.colname;
  const t = qrel(table);
  const c = quoteIdent(col);
  const notNull = cons.some((x) => x.contype === 'CONSTR_NOTNULL');
  const steps = [
    ctx.step({
      label: `add-column-${col}`,
      phase: 'expand',
      sql: `ALTER TABLE ${t} ADD COLUMN${cmd.missing_ok ? ' IF NOT EXISTS' : ''} ${c} ${typeText};\nALTER TABLE ${t} ALTER COLUMN ${c} SET DEFAULT ${expr}`,
      fact: 'add-column',
      relation: table.key,
      doneCheck: columnCheck(table, col),
      rollback: `ALTER TABLE ${t} DROP COLUMN IF EXISTS ${c}`,
      notes: ['added without the default, so no row is rewritten; SET DEFAULT applies to rows inserted from now on'],
    }),
  ];
  const predicate = `${c} IS NULL`;
  steps.push(
    ctx.step({
      label: `backfill-${col}`,
      phase: 'migrate',
      sql: `UPDATE ${t} SET ${c} = ${expr} WHERE ${predicate}`,
      fact: 'update',
      relation: table.key,
      guard: batched.guard,
      batch: batchSpec(ctx, table, key, `UPDATE ${t} SET ${c} = ${expr}`, predicate, predicate),
      doneCheck: remainingCheck(table, predicate),
      notes: [...(volatile ? ['the default is volatile: each existing row gets its own value, as the original statement would'] : []), ...batched.notes],
    }),
  );
  if (notNull) steps.push(...notNullSteps(ctx, table, col, 'migrate'));
  return steps;
};
