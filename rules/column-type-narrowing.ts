import { contractReport, evidenceSeverityDoc, judgeContract } from '../src/lint/compat.js';
import { effectsOf, ident, relSql } from '../src/lint/rule-kit.js';
import { COLUMN_TYPE_CHANGE_FACTS } from '../src/locks/table.js';
import type { Rule, RuleReport } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'column-type-narrowing',
    category: 'compatibility',
    defaultSeverity: 'warning',
    summary: 'Changing a column to a narrower type: existing or future values may not fit.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'Narrowing a type (bigint to integer, varchar(255) to varchar(50), numeric scale reduction, timestamp to date) fails the migration if any existing value does not fit, and afterwards the deployed code\'s writes of larger values fail. Check the data first (`ddlguard verify preflight`), make sure no code writes larger values, and prefer a CHECK constraint added NOT VALID + VALIDATE over a narrower type.' +
        '\n\n' +
        evidenceSeverityDoc('column-type-narrowing', 'warning', {
          strong: 'a strong writer (parsed SQL that INSERTs or UPDATEs the column, named at file:line)',
          none: 'no code that writes or uses the column',
        }),
      bad: 'ALTER TABLE users ALTER COLUMN bio TYPE varchar(100);',
      good: "ALTER TABLE users ADD CONSTRAINT users_bio_length CHECK (char_length(bio) <= 100) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_bio_length;",
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-SET-DATA-TYPE'],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    for (const effect of effectsOf(ctx, ...COLUMN_TYPE_CHANGE_FACTS)) {
      if (!effect.table?.preExisting || !effect.typeChange?.narrowing) continue;
      // A CHECK constraint released earlier already keeps the deployed code's writes within the new bounds.
      const verdict = judgeContract(ctx, 'type-narrowing', effect.table.key, effect.column);
      if (!verdict.report) continue;
      const r: RuleReport = {
        effect,
        message: `Narrowing the type of ${effect.column} (${effect.typeChange.reason}): the ALTER fails on values that do not fit, and writes of larger values from deployed code fail afterwards.`,
        help: 'Check existing data first (`ddlguard verify preflight`) and prefer a CHECK constraint added NOT VALID + VALIDATE.',
      };
      if (ctx.compat) {
        const table = relSql(effect);
        r.suggestion = [
          `-- release N (expand): bound the values with a CHECK constraint the deployed code must already respect, and validate it:`,
          `ALTER TABLE ${table} ADD CONSTRAINT ${ident(`${table.split('.').pop()!.replace(/"/g, '')}_${effect.column}_fits`)} CHECK (<${effect.column} fits the new type>) NOT VALID;`,
          `ALTER TABLE ${table} VALIDATE CONSTRAINT ${ident(`${table.split('.').pop()!.replace(/"/g, '')}_${effect.column}_fits`)};`,
          '-- release N+1 (contract): the narrowing, or keep the CHECK instead of a narrower type.',
        ].join('\n');
      }
      out.push(contractReport(ctx, verdict, r));
    }
    return out;
  },
};

export default rule;
