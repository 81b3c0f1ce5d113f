import { effectsOf } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'ban-truncate',
    category: 'compatibility',
    defaultSeverity: 'error',
    summary: 'TRUNCATE of an existing table in a migration.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'TRUNCATE removes every row irreversibly (it is not MVCC-safe: concurrent transactions see the table empty) and takes ACCESS EXCLUSIVE on the table and, with CASCADE, on every table referencing it. In a migration it usually means data loss on production. Delete the intended rows in batches, or drop a table that is no longer used in a later release.',
      bad: 'TRUNCATE sessions;',
      good: '-- delete in batches, each its own transaction:\nDELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE expires_at < now() LIMIT 10000);',
      links: ['https://www.postgresql.org/docs/current/sql-truncate.html'],
    },
  },
  check(ctx) {
    return effectsOf(ctx, 'truncate')
      .filter((e) => e.table?.preExisting)
      .map((effect) => ({
        effect,
        message: `TRUNCATE removes every row of ${effect.table!.display}${ctx.stmt.node.behavior === 'DROP_CASCADE' ? ' and of every table referencing it' : ''}, irreversibly.`,
        help: 'Delete the intended rows in batches instead, or make sure this table holds no production data.',
      }));
  },
};

export default rule;
