import { effectsOf, ident, relSql } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'rename-column',
    category: 'compatibility',
    defaultSeverity: 'error',
    summary: 'Renaming a column breaks deployed code that uses the old name.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'The rename is instant, but the code that is running while the migration is applied still uses the old name and fails until the new code is deployed (and old code can no longer be rolled back to). The expand/contract way: add the new column, keep both in sync with a trigger, backfill, switch the code to the new column, and drop the old one in a later release.',
      bad: 'ALTER TABLE users RENAME COLUMN name TO full_name;',
      good: "ALTER TABLE users ADD COLUMN full_name text;\n-- trigger keeping full_name = name on INSERT/UPDATE, batched backfill,\n-- deploy code that reads full_name, and in a later release:\nALTER TABLE users DROP COLUMN name;",
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-RENAME'],
    },
  },
  check(ctx) {
    return effectsOf(ctx, 'rename-column')
      .filter((e) => e.table?.preExisting && !(e.column && ctx.fileState.columnsAdded.get(e.table.key)?.has(e.column)))
      .map((effect) => {
        const to = String(ctx.stmt.node.newname ?? '<new>');
        const t = relSql(effect);
        return {
          effect,
          message: `Renaming ${effect.column} to ${to} breaks the deployed code that still uses ${effect.column}.`,
          help: 'Add the new column, sync it with a trigger and backfill, move the code to it, then drop the old column in a later release (`ddlguard plan` writes these steps).',
          suggestion: `ALTER TABLE ${t} ADD COLUMN ${ident(to)} <type of ${effect.column}>;\n-- sync trigger + batched backfill, deploy code using ${to}; later release:\nALTER TABLE ${t} DROP COLUMN ${ident(effect.column)};`,
        };
      });
  },
};

export default rule;
