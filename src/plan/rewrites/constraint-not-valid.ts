/** ADD CONSTRAINT ... CHECK / FOREIGN KEY -> ADD ... NOT VALID (guarded) + VALIDATE CONSTRAINT (own transaction). */
import { columnRefs, stringValue } from '../../sql/ast.js';
import { derivedName, quoteIdent } from '../../sql/quote.js';
import { constraintCheck, qrel, relationModel, type RelName, type RewriteContext, type Rewrite } from '../context.js';
import { alterTarget, singleAlterCmd, unvalidateSql } from './common.js';

/** The name PostgreSQL gives an unnamed CHECK / FOREIGN KEY (table_col_check, table_cols_fkey). */
export function defaultConstraintName(table: RelName, con: any): string {
  if (con.contype === 'CONSTR_FOREIGN') {
    const cols = (con.fk_attrs ?? []).map(stringValue);
    return derivedName(`${table.name}_${cols.join('_')}`, '_fkey');
  }
  const col = columnRefs(con.raw_expr)[0];
  return derivedName(col ? `${table.name}_${col}` : table.name, '_check');
}

/** `ADD CONSTRAINT name <body>` text for the command, naming an unnamed constraint. */
export function constraintClause(ctx: RewriteContext, con: any, name: string): string {
  const start = ctx.text.index(con.location ?? 0);
  const body = ctx.text.text.slice(start).trim();
  return con.conname ? body : `CONSTRAINT ${quoteIdent(name)} ${body}`;
}

export const constraintNotValid: Rewrite = (stmt, _effects, ctx) => {
  const cmd = singleAlterCmd(stmt);
  const con = cmd?.subtype === 'AT_AddConstraint' ? cmd.def?.Constraint : null;
  if (!con || con.skip_validation || (con.contype !== 'CONSTR_CHECK' && con.contype !== 'CONSTR_FOREIGN')) return null;
  const table = alterTarget(ctx);
  if (relationModel(ctx, table)?.kind === 'partitioned-table' && (con.contype === 'CONSTR_CHECK' || ctx.pgVersion < 18)) {
    ctx.reason('NOT VALID constraints cannot be added to a partitioned table here: add them to each partition instead');
    return null;
  }
  const fk = con.contype === 'CONSTR_FOREIGN';
  const name: string = con.conname ?? defaultConstraintName(table, con);
  const t = qrel(table);
  const referenced = fk ? ctx.model.resolveKey({ schema: con.pktable?.schemaname ?? null, name: con.pktable?.relname ?? '' }) : null;
  return [
    ctx.step({
      label: `${fk ? 'fk' : 'check'}-${name}-not-valid`,
      phase: 'expand',
      sql: `ALTER TABLE ${t} ADD ${constraintClause(ctx, con, name)} NOT VALID`,
      fact: fk ? 'add-foreign-key-not-valid' : 'add-check-not-valid',
      relation: table.key,
      doneCheck: constraintCheck(table, name, false),
      rollback: `ALTER TABLE ${t} DROP CONSTRAINT IF EXISTS ${quoteIdent(name)}`,
      notes: [fk ? `also locks ${referenced} (SHARE ROW EXCLUSIVE) briefly` : 'new and updated rows are checked from now on'],
    }),
    ctx.step({
      label: `validate-${name}`,
      phase: 'expand',
      sql: `ALTER TABLE ${t} VALIDATE CONSTRAINT ${quoteIdent(name)}`,
      fact: fk ? 'validate-foreign-key' : 'validate-constraint',
      relation: table.key,
      guard: { kind: 'none', reason: 'VALIDATE scans under SHARE UPDATE EXCLUSIVE: reads and writes continue (statement_timeout 0)' },
      doneCheck: constraintCheck(table, name, true),
      rollback: unvalidateSql(table, name),
      notes: ['fails if existing rows violate the constraint; fix the data and rerun this step'],
    }),
  ];
};
