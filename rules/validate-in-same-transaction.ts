import { effectsOf, relSql } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'validate-in-same-transaction',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'VALIDATE CONSTRAINT in the same transaction as ADD ... NOT VALID keeps the strong lock during the scan.',
    lock: 'ACCESS EXCLUSIVE / SHARE ROW EXCLUSIVE held from the ADD',
    docs: {
      description:
        'The point of NOT VALID is to split a constraint into a short, strongly locked ADD and a long VALIDATE under a weak lock. In one transaction, the lock taken by the ADD (ACCESS EXCLUSIVE for CHECK, SHARE ROW EXCLUSIVE for a foreign key) is still held while VALIDATE scans the table, so nothing is gained. Commit between the two.',
      bad: "BEGIN;\nALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT amount_positive;\nCOMMIT;",
      good: "ALTER TABLE orders ADD CONSTRAINT amount_positive CHECK (amount > 0) NOT VALID;\n-- separate transaction (next migration, or after COMMIT):\nALTER TABLE orders VALIDATE CONSTRAINT amount_positive;",
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES'],
    },
  },
  check(ctx) {
    if (!ctx.tx.inTransaction) return [];
    return effectsOf(ctx, 'validate-constraint', 'validate-foreign-key')
      .filter((e) => e.table && e.table.preExisting && ctx.fileState.notValidInTx.has(`${e.table.key}/${e.constraint}`))
      .map((effect) => {
        const held = ctx.fileState.heldLocks.get(effect.table!.key);
        return {
          effect,
          message: `VALIDATE CONSTRAINT runs in the same transaction that added ${effect.constraint} NOT VALID, so the ${held?.mode ?? 'strong'} lock from the ADD is held during the full-table scan.`,
          help: 'COMMIT after the ADD ... NOT VALID and validate in a separate transaction (or the next migration).',
          suggestion: `COMMIT;\nALTER TABLE ${relSql(effect)} VALIDATE CONSTRAINT ${effect.constraint};`,
        };
      });
  },
};

export default rule;
