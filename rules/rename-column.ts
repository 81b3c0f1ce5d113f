import { contractReport, createdThisRelease, evidenceSeverityDoc, judgeContract } from '../src/lint/compat.js';
import { effectsOf, ident, relSql } from '../src/lint/rule-kit.js';
import type { Rule, RuleReport } from '../src/lint/types.js';
import { formatType } from '../src/sql/ast.js';
import { SUPPLY_SCHEMA } from '../src/schema/model.js';

const rule: Rule = {
  meta: {
    id: 'rename-column',
    category: 'compatibility',
    defaultSeverity: 'error',
    summary: 'Renaming a column breaks deployed code that uses the old name.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'The rename is instant, but the code that is running while the migration is applied still uses the old name and fails until the new code is deployed (and old code can no longer be rolled back to). The expand/contract way: add the new column, keep both in sync with a trigger, backfill, switch the code to the new column, and drop the old one in a later release.' +
        '\n\n' +
        evidenceSeverityDoc('rename-column', 'error', {
          strong: 'a strong reader of the old name (parsed SQL that uses it, named at file:line; a dependent view or function; a recorded query)',
          none: 'no reader',
        }),
      bad: 'ALTER TABLE users RENAME COLUMN name TO full_name;',
      good: "ALTER TABLE users ADD COLUMN full_name text;\n-- trigger keeping full_name = name on INSERT/UPDATE, batched backfill,\n-- deploy code that reads full_name, and in a later release:\nALTER TABLE users DROP COLUMN name;",
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-RENAME'],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    for (const effect of effectsOf(ctx, 'rename-column')) {
      const tb = effect.table;
      if (!tb?.preExisting || (effect.column && ctx.fileState.columnsAdded.get(tb.key)?.has(effect.column))) continue;
      if (effect.column && createdThisRelease(ctx, tb.key, effect.column)) continue;
      const verdict = judgeContract(ctx, 'rename-column', tb.key, effect.column);
      if (!verdict.report) continue;
      const to = String(ctx.stmt.node.newname ?? '<new>');
      const t = relSql(effect);
      const type = effect.column ? ctx.model.relations.get(tb.key)?.columns.get(effect.column)?.type : undefined;
      // Unknown to every source: a placeholder the user fills in, and the suggestion says how to avoid it.
      const typeSql = type && type.name !== 'unknown' ? formatType(type) : `<type of ${effect.column}: ${SUPPLY_SCHEMA}>`;
      const r: RuleReport = {
        effect,
        message: `Renaming ${effect.column} to ${to} breaks the deployed code that still uses ${effect.column}.`,
        help: 'Add the new column, sync it with a trigger and backfill, move the code to it, then drop the old column in a later release (`ddlguard plan` writes these steps).',
        suggestion: [
          '-- release N (expand):',
          `ALTER TABLE ${t} ADD COLUMN ${ident(to)} ${typeSql};`,
          `-- a trigger keeping ${to} in sync with ${effect.column} on INSERT/UPDATE, then a batched backfill;`,
          `-- release N+1: deploy code that reads and writes ${to};`,
          `-- release N+2 (contract), once no reader of ${effect.column} remains:`,
          `-- ddlguard: contract ${t.replace(/"/g, '')}.${effect.column} after <release N+1>`,
          `ALTER TABLE ${t} DROP COLUMN ${ident(effect.column)};`,
        ].join('\n'),
      };
      out.push(contractReport(ctx, verdict, r));
    }
    return out;
  },
};

export default rule;
