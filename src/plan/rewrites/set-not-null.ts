/** ALTER COLUMN ... SET NOT NULL -> CHECK NOT VALID + VALIDATE + SET NOT NULL + drop CHECK (PG 12-17) or NOT NULL NOT VALID + VALIDATE (PG 18+). */
import { notNullSteps, alterTarget, singleAlterCmd } from './common.js';
import { relationModel, type Rewrite } from '../context.js';

export const setNotNull: Rewrite = (stmt, _effects, ctx) => {
  const cmd = singleAlterCmd(stmt);
  if (cmd?.subtype !== 'AT_SetNotNull' || !cmd.name) return null;
  const table = alterTarget(ctx);
  const rel = relationModel(ctx, table);
  if (rel && ctx.model.hasValidatedNotNullProof(rel, cmd.name)) return null; // already cheap
  if (ctx.pgVersion < 12) {
    ctx.reason('before PostgreSQL 12, SET NOT NULL scans the table even when a validated CHECK proves it');
    return null;
  }
  if (rel?.kind === 'partitioned-table') {
    ctx.reason('NOT VALID constraints cannot be added to a partitioned table: set NOT NULL per partition first');
    return null;
  }
  return notNullSteps(ctx, table, cmd.name, 'expand');
};
