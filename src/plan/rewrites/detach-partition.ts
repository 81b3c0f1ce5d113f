/** ALTER TABLE ... DETACH PARTITION -> DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+). */
import { qnameFromRangeVar } from '../../sql/ast.js';
import { qrel, regclass, type Rewrite } from '../context.js';
import { CONCURRENT_GUARD, alterTarget, reattachSql, singleAlterCmd } from './common.js';
import { NO_ROLLBACK_NOTE } from './undo.js';
import { SUPPLY_SCHEMA } from '../../schema/model.js';

export const detachPartition: Rewrite = (stmt, _effects, ctx) => {
  const cmd = singleAlterCmd(stmt);
  if (cmd?.subtype !== 'AT_DetachPartition' || cmd.def?.PartitionCmd?.concurrent) return null;
  if (ctx.pgVersion < 14) {
    ctx.reason('DETACH PARTITION CONCURRENTLY needs PostgreSQL 14');
    return null;
  }
  const parent = alterTarget(ctx);
  const part = qnameFromRangeVar(cmd.def.PartitionCmd.name);
  const partRel = ctx.model.relation(part);
  const bound = partRel && !partRel.placeholder ? partRel.partitionBound : null;
  const checks = [...(partRel?.constraints.values() ?? [])].filter((c) => c.kind === 'check').map((c) => c.name);
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
      rollback: bound ? reattachSql(parent, part, bound, checks) : null,
      irreversible: !bound,
      notes: [
        ...(bound ? [] : [`${NO_ROLLBACK_NOTE}the bound of partition ${part.name} is not known to the plan (${SUPPLY_SCHEMA}), so it cannot be attached again`]),
        'not allowed when the parent has a DEFAULT partition',
        'CONCURRENTLY leaves a CHECK constraint copying the partition bound on the detached table (useful for re-attaching); drop it if unwanted',
        `if interrupted, finish with ALTER TABLE ${qrel(parent)} DETACH PARTITION ${qrel(part)} FINALIZE`,
      ],
    }),
  ];
};
