/** ADD UNIQUE / PRIMARY KEY -> CREATE UNIQUE INDEX CONCURRENTLY + ADD CONSTRAINT ... USING INDEX (PK: NOT NULL first). */
import { stringValue } from '../../sql/ast.js';
import { derivedName, quoteIdent } from '../../sql/quote.js';
import { constraintCheck, indexValidCheck, invalidIndexCleanup, qrel, relationModel, type Rewrite } from '../context.js';
import { alterTarget, concurrentIndexStep, notNullSteps, singleAlterCmd } from './common.js';

export const uniqueUsingIndex: Rewrite = (stmt, _effects, ctx) => {
  const cmd = singleAlterCmd(stmt);
  const con = cmd?.subtype === 'AT_AddConstraint' ? cmd.def?.Constraint : null;
  if (!con || con.indexname || (con.contype !== 'CONSTR_UNIQUE' && con.contype !== 'CONSTR_PRIMARY')) return null;
  const table = alterTarget(ctx);
  const rel = relationModel(ctx, table);
  if (rel?.kind === 'partitioned-table') {
    ctx.reason('unique indexes cannot be built CONCURRENTLY on a partitioned table');
    return null;
  }
  if ((con.including ?? []).length || (con.options ?? []).length || con.indexspace) {
    ctx.reason('INCLUDE, WITH (...) and USING INDEX TABLESPACE are not carried over by the rewrite yet');
    return null;
  }
  const pk = con.contype === 'CONSTR_PRIMARY';
  const keys: string[] = (con.keys ?? []).map(stringValue);
  const name: string = con.conname ?? (pk ? derivedName(table.name, '_pkey') : derivedName(`${table.name}_${keys.join('_')}`, '_key'));
  const t = qrel(table);
  const index = { schema: table.schema, name };
  const steps = [];
  if (pk) {
    for (const k of keys) {
      const col = rel?.columns.get(k);
      if (col?.notNull) continue;
      steps.push(...notNullSteps(ctx, table, k, 'expand'));
    }
  }
  const nnd = con.nulls_not_distinct ? ' NULLS NOT DISTINCT' : '';
  steps.push(
    concurrentIndexStep(ctx, {
      name,
      sql: `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(name)} ON ${t} (${keys.map(quoteIdent).join(', ')})${nnd}`,
      table,
      index,
      notes: ['fails if duplicate keys exist'],
    }),
  );
  const deferrable = (con.deferrable ? ' DEFERRABLE' : '') + (con.initdeferred ? ' INITIALLY DEFERRED' : '');
  steps.push(
    ctx.step({
      label: `add-${pk ? 'primary-key' : 'unique'}-${name}`,
      phase: 'expand',
      sql: `ALTER TABLE ${t} ADD CONSTRAINT ${quoteIdent(name)} ${pk ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${quoteIdent(name)}${deferrable}`,
      fact: 'add-constraint-using-index',
      relation: table.key,
      doneCheck: constraintCheck(table, name, false),
      rollback: `ALTER TABLE ${t} DROP CONSTRAINT IF EXISTS ${quoteIdent(name)}`,
    }),
  );
  return steps;
};
