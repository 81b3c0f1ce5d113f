/** CREATE [UNIQUE] INDEX -> CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS, outside a transaction. */
import { qnameFromRangeVar } from '../../sql/ast.js';
import { derivedName, quoteIdent } from '../../sql/quote.js';
import { relName, relationModel, type Rewrite } from '../context.js';
import { concurrentIndexStep } from './common.js';


/** PostgreSQL's default index name, close enough: table_col1_col2_idx (expressions: expr). */
export function defaultIndexName(table: string, n: any): string {
  const cols: string[] = (n.indexParams ?? []).map((p: any) => p?.IndexElem?.name ?? 'expr');
  return derivedName(`${table}_${cols.join('_') || 'expr'}`, '_idx');
}

export const createIndex: Rewrite = (stmt, _effects, ctx) => {
  if (stmt.kind !== 'IndexStmt' || stmt.node.concurrent) return null;
  const n = stmt.node;
  const table = relName(ctx, qnameFromRangeVar(n.relation));
  const rel = relationModel(ctx, table);
  if (rel?.kind === 'partitioned-table' || n.relation?.inh === false) {
    ctx.reason('CREATE INDEX CONCURRENTLY does not work on a partitioned table: build the index CONCURRENTLY on each partition, create it ON ONLY the parent, then ALTER INDEX ... ATTACH PARTITION');
    return null;
  }
  const on = ctx.text.findKeyword('ON');
  if (!on) return null;
  const name: string = n.idxname ?? defaultIndexName(table.name, n);
  const index = { schema: table.schema, name };
  const sql = `CREATE ${n.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(name)} ${ctx.text.text.slice(on.start)}`;
  const notes = ['a failed CONCURRENTLY build leaves an INVALID index behind: the cleanup drops it (DROP INDEX CONCURRENTLY) before the step is retried'];
  if (n.unique) notes.push('the build fails if duplicate keys exist; uniqueness is enforced for writes from the start of the build');
  if (!n.idxname) notes.push(`the statement has no index name: the plan names it ${quoteIdent(name)} so it can be checked and retried`);
  return [concurrentIndexStep(ctx, { name, sql, table, index, notes })];
};
