import { contractReport, createdThisRelease, evidenceSeverityDoc, judgeContract } from '../src/lint/compat.js';
import { effectsOf, ident, relSql } from '../src/lint/rule-kit.js';
import type { Rule, RuleReport } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'drop-column',
    category: 'compatibility',
    defaultSeverity: 'warning',
    summary: 'Dropping a column that deployed code may still read or write.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'During a rolling deploy (and in workers, reports and other services) the previous version of the code still runs. If it selects or inserts the dropped column its queries fail, and ORMs that list every column in SELECT fail too. Stop using the column first (for Rails: ignored_columns; other ORMs: remove the field), deploy, then drop it in a later release.' +
        '\n\n' +
        evidenceSeverityDoc('drop-column', 'warning', {
          strong: 'a strong reader of the column (parsed SQL that reads or writes it, named at file:line; a view, function, trigger or policy that depends on it; a recorded query)',
          none: 'no reader',
        }),
      bad: 'ALTER TABLE users DROP COLUMN legacy_flag;',
      good: "-- release N: stop reading/writing legacy_flag in code\n-- release N+1:\nSET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN legacy_flag;",
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-DROP-COLUMN'],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    for (const effect of effectsOf(ctx, 'drop-column')) {
      const t = effect.table;
      if (!t?.preExisting) continue;
      if (effect.column && ctx.fileState.columnsAdded.get(t.key)?.has(effect.column)) continue;
      // Added by another file of the pending release: no deployed code knows it either.
      if (effect.column && createdThisRelease(ctx, t.key, effect.column)) continue;
      const verdict = judgeContract(ctx, 'drop-column', t.key, effect.column);
      if (!verdict.report) continue;
      const table = relSql(effect);
      const col = ident(effect.column);
      const r: RuleReport = {
        effect,
        message: `Dropping column ${effect.column} of ${t.display} breaks any running code that still reads or writes it.`,
        help: 'Remove every use of the column from the code and deploy that first; drop the column in a later release.',
        suggestion: [
          `-- release N (expand): stop reading and writing ${effect.column} in the code (Rails: ignored_columns; other ORMs: remove the field), mark it, deploy:`,
          `COMMENT ON COLUMN ${table}.${col} IS 'deprecated: to be dropped';`,
          '-- release N+1 (contract), once no reader remains:',
          `-- ddlguard: contract ${table.replace(/"/g, '')}.${effect.column} after <release N>`,
          `ALTER TABLE ${table} DROP COLUMN ${col};`,
        ].join('\n'),
      };
      out.push(contractReport(ctx, verdict, r));
    }
    return out;
  },
};

export default rule;
