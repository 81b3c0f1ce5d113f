import { effectsOf, lockPhrase, mainLock, onPreExisting } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

// No --fix: DETACH PARTITION ... CONCURRENTLY also adds a CHECK constraint duplicating the
// partition bound to the detached table (checked on PostgreSQL 15 and 18), so the rewrite
// would change the resulting schema.
const rule: Rule = {
  meta: {
    id: 'require-concurrent-detach',
    category: 'blocking',
    defaultSeverity: 'warning',
    summary: 'DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the partitioned table.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'ALTER TABLE ... DETACH PARTITION locks the parent table with ACCESS EXCLUSIVE, blocking every query on every partition while it waits and runs. PostgreSQL 14 added DETACH PARTITION ... CONCURRENTLY, which takes only SHARE UPDATE EXCLUSIVE on the parent; it cannot run in a transaction block and not when the parent has a default partition.',
      bad: 'ALTER TABLE events DETACH PARTITION events_2020;',
      good: 'ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;',
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DETACH-PARTITION'],
    },
  },
  check(ctx) {
    if (ctx.pgVersion < 14) return [];
    return onPreExisting(effectsOf(ctx, 'detach-partition')).map((effect) => ({
      effect,
      message: `DETACH PARTITION without CONCURRENTLY takes ${lockPhrase(mainLock(effect))}.`,
      help: 'Use DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+) outside a transaction block.',
      suggestion: ctx.stmt.text.replace(/\s*$/, '') + ' CONCURRENTLY;',
    }));
  },
};

export default rule;
