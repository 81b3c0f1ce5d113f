/** ALTER TABLE ... DETACH PARTITION -> DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+). */
import { qnameFromRangeVar } from '../../sql/ast.js';
import { qrel, regclass, type Rewrite } from '../context.js';
import { alterTarget, singleAlterCmd } from './common.js';
import { CONCURRENT_GUARD } from './common.js';

export const detachPartition: Rewrite = (stmt, _effects, ctx) => {
  const cmd = singleAlterCmd(stmt);
  if (cmd?.subtype !== 'AT_DetachPartition' || cmd.def?.PartitionCmd?.concurrent) return null;
  if (ctx.pgVersion < 14) {
    ctx.reason('DETACH PARTITION CONCURRENTLY needs PostgreSQL 14');
    return null;
  }
  const parent = alterTarget(ctx);
  const part = qnameFromRangeVar(cmd.def.PartitionCmd.name);
  return [
    ctx.step({
      label: `detach-partition-${part.name}`,
      phase: 'contract',
      sql: `ALTER TABLE ${qrel(parent)} DETACH PARTITION ${qrel(part)} CONCURRENTLY`,
      fact: 'detach-partition-concurrently',
      relation: parent.key,
      transaction: 'none',
      guard: CONCURRENT_GUARD,
      doneCheck: `SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = ${regclass(part)} AND i.inhparent = ${regclass(parent)})`,
      rollback: null,
      notes: [
        'not allowed when the parent has a DEFAULT partition',
        'CONCURRENTLY leaves a CHECK constraint copying the partition bound on the detached table (useful for re-attaching); drop it if unwanted',
        `if interrupted, finish with ALTER TABLE ${qrel(parent)} DETACH PARTITION ${qrel(part)} FINALIZE`,
      ],
    }),
  ];
};
