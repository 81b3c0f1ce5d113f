/** RENAME TABLE on an existing table -> rename + compatibility view under the old name; contract drops the view (a later release). */
import { qnameFromRangeVar } from '../../sql/ast.js';
import { qrel, regclass, relName, relationModel, type Rewrite } from '../context.js';

export const renameTable: Rewrite = (stmt, _effects, ctx) => {
  const n = stmt.node;
  if (stmt.kind !== 'RenameStmt' || n.renameType !== 'OBJECT_TABLE' || !n.newname) return null;
  const from = relName(ctx, qnameFromRangeVar(n.relation));
  const rel = relationModel(ctx, from);
  if (rel && rel.kind !== 'table' && rel.kind !== 'partitioned-table') return null;
  const to = { schema: from.schema, name: n.newname as string };
  return [
    ctx.step({
      label: `rename-table-${from.name}`,
      phase: 'expand',
      sql: `ALTER TABLE ${qrel(from)} RENAME TO ${qrel({ schema: null, name: to.name })};\nCREATE VIEW ${qrel(from)} AS SELECT * FROM ${qrel(to)}`,
      fact: 'rename-table',
      relation: from.key,
      doneCheck: `SELECT ${regclass(to)} IS NOT NULL`,
      rollback: `DROP VIEW IF EXISTS ${qrel(from)};\nALTER TABLE ${qrel(to)} RENAME TO ${qrel({ schema: null, name: from.name })}`,
      notes: [
        `a simple view keeps the old name ${from.name} readable and writable while old code still runs`,
        'the view lists the columns as of now: columns added later are not visible through it',
      ],
    }),
    ctx.step({
      label: `rename-table-${from.name}-drop-view`,
      phase: 'contract',
      sql: `DROP VIEW IF EXISTS ${qrel(from)}`,
      fact: 'drop-view',
      relation: from.key,
      doneCheck: `SELECT ${regclass(from)} IS NULL`,
      irreversible: false,
      rollback: `CREATE VIEW ${qrel(from)} AS SELECT * FROM ${qrel(to)}`,
      notes: ['contract: run in a later release, once no deployed code uses the old table name'],
    }),
  ];
};
