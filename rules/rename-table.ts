import { contractReport, createdThisRelease, evidenceSeverityDoc, judgeContract } from '../src/lint/compat.js';
import { effectsOf, ident, relSql } from '../src/lint/rule-kit.js';
import type { Rule, RuleReport } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'rename-table',
    category: 'compatibility',
    defaultSeverity: 'error',
    summary: 'Renaming a table breaks deployed code that uses the old name.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'Code running during and right after the migration still queries the old table name and fails. Rename the table and create a view with the old name in the same transaction (a simple view is updatable, so old code keeps working), switch the code to the new name, and drop the view in a later release.' +
        '\n\n' +
        evidenceSeverityDoc('rename-table', 'error', {
          strong: 'a strong reader of the old name (parsed SQL that uses it, named at file:line; a dependent view or function; a recorded query)',
          none: 'no reader',
        }),
      bad: 'ALTER TABLE customers RENAME TO accounts;',
      good: 'BEGIN;\nALTER TABLE customers RENAME TO accounts;\nCREATE VIEW customers AS SELECT * FROM accounts;\nCOMMIT;\n-- later release, once no code uses "customers":\nDROP VIEW customers;',
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-RENAME', 'https://www.postgresql.org/docs/current/sql-createview.html#SQL-CREATEVIEW-UPDATABLE-VIEWS'],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    for (const effect of effectsOf(ctx, 'rename-table')) {
      const tb = effect.table;
      if (!tb?.preExisting || createdThisRelease(ctx, tb.key, null)) continue;
      const verdict = judgeContract(ctx, 'rename-table', tb.key, null);
      if (!verdict.report) continue;
      const to = String(ctx.stmt.node.newname ?? '<new>');
      const schema = tb.key.includes('.') ? tb.key.split('.')[0]! : 'public';
      const newSql = schema === 'public' ? ident(to) : `${ident(schema)}.${ident(to)}`;
      const r: RuleReport = {
        effect,
        message: `Renaming ${tb.display} to ${to} breaks the deployed code that still uses the old name.`,
        help: 'Rename and create a compatibility view with the old name in the same transaction; drop the view in a later release.',
        suggestion: [
          '-- release N (expand): rename, and keep the old name working for the deployed code',
          'BEGIN;',
          `ALTER TABLE ${relSql(effect)} RENAME TO ${ident(to)};`,
          `CREATE VIEW ${relSql(effect)} AS SELECT * FROM ${newSql};`,
          'COMMIT;',
          `-- release N+1: deploy code that uses ${to}; release N+2 (contract), once no reader of the old name remains:`,
          `DROP VIEW ${relSql(effect)};`,
        ].join('\n'),
      };
      out.push(contractReport(ctx, verdict, r));
    }
    return out;
  },
};

export default rule;
