import { effectsOf } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'enum-value-in-transaction',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'ALTER TYPE ... ADD VALUE inside a transaction block fails before PostgreSQL 12.',
    lock: 'none (the statement fails)',
    docs: {
      description:
        'Before PostgreSQL 12, ALTER TYPE ... ADD VALUE cannot run inside a transaction block, so a migration framework that wraps files in a transaction fails on it. From PostgreSQL 12 it may run in a transaction, but the new value cannot be used until that transaction commits.',
      bad: "BEGIN;\nALTER TYPE order_status ADD VALUE 'refunded';\nCOMMIT;",
      good: "-- its own migration, outside a transaction:\nALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';",
      links: ['https://www.postgresql.org/docs/current/sql-altertype.html#id-1.9.3.42.7'],
    },
  },
  check(ctx) {
    if (ctx.pgVersion >= 12 || !ctx.tx.inTransaction) return [];
    return effectsOf(ctx, 'enum-add-value', 'enum-add-value-before').map((effect) => ({
      effect,
      message: 'ALTER TYPE ... ADD VALUE cannot run inside a transaction block before PostgreSQL 12: the migration will fail.',
      help: 'Run it in its own migration outside a transaction (or upgrade to PostgreSQL 12+).',
    }));
  },
};

export default rule;
