import { effectsOf, ident, relSql } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'rename-table',
    category: 'compatibility',
    defaultSeverity: 'error',
    summary: 'Renaming a table breaks deployed code that uses the old name.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'Code running during and right after the migration still queries the old table name and fails. Rename the table and create a view with the old name in the same transaction (a simple view is updatable, so old code keeps working), switch the code to the new name, and drop the view in a later release.',
      bad: 'ALTER TABLE customers RENAME TO accounts;',
      good: 'BEGIN;\nALTER TABLE customers RENAME TO accounts;\nCREATE VIEW customers AS SELECT * FROM accounts;\nCOMMIT;\n-- later release, once no code uses "customers":\nDROP VIEW customers;',
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-RENAME', 'https://www.postgresql.org/docs/current/sql-createview.html#SQL-CREATEVIEW-UPDATABLE-VIEWS'],
    },
  },
  check(ctx) {
    return effectsOf(ctx, 'rename-table')
      .filter((e) => e.table?.preExisting)
      .map((effect) => {
        const to = String(ctx.stmt.node.newname ?? '<new>');
        const schema = effect.table!.key.includes('.') ? effect.table!.key.split('.')[0]! : 'public';
        const newSql = schema === 'public' ? ident(to) : `${ident(schema)}.${ident(to)}`;
        return {
          effect,
          message: `Renaming ${effect.table!.display} to ${to} breaks the deployed code that still uses the old name.`,
          help: 'Rename and create a compatibility view with the old name in the same transaction; drop the view in a later release.',
          suggestion: `BEGIN;\nALTER TABLE ${relSql(effect)} RENAME TO ${ident(to)};\nCREATE VIEW ${relSql(effect)} AS SELECT * FROM ${newSql};\nCOMMIT;`,
        };
      });
  },
};

export default rule;
