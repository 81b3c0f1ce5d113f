import { contractReport, createdThisRelease, evidenceSeverityDoc, judgeContract } from '../src/lint/compat.js';
import { effectsOf, relSql } from '../src/lint/rule-kit.js';
import type { Rule, RuleReport } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'drop-table',
    category: 'compatibility',
    defaultSeverity: 'warning',
    summary: 'Dropping a table that deployed code may still use; the data is gone for good.',
    lock: 'ACCESS EXCLUSIVE (also on tables it references)',
    docs: {
      description:
        'DROP TABLE is irreversible and breaks every running query, job or service that still uses the table. Stop using it in code first and deploy; consider renaming it (or moving it to an archive schema) for one release before dropping it, so a mistake can be undone.' +
        '\n\n' +
        evidenceSeverityDoc('drop-table', 'warning', {
          strong: 'a strong reader of the table (parsed SQL that uses it, named at file:line; a dependent view, function or foreign key; a recorded query)',
          none: 'no reader',
        }),
      bad: 'DROP TABLE legacy_events;',
      good: '-- release N: remove all uses of legacy_events from code\n-- release N+1 (optionally after ALTER TABLE legacy_events SET SCHEMA archive):\nDROP TABLE legacy_events;',
      links: ['https://www.postgresql.org/docs/current/sql-droptable.html'],
    },
  },
  check(ctx) {
    // DROP TABLE ... CASCADE is drop-cascade's (an error naming everything the cascade reaches).
    if (ctx.stmt.node.behavior === 'DROP_CASCADE') return [];
    const out: RuleReport[] = [];
    const all = effectsOf(ctx, 'drop-table', 'drop-table-with-foreign-keys');
    all.forEach((effect, i) => {
      const t = effect.table;
      if (!t?.preExisting || all.findIndex((o) => o.table?.key === t.key) !== i) return;
      if (createdThisRelease(ctx, t.key, null)) return;
      const verdict = judgeContract(ctx, 'drop-table', t.key, null);
      if (!verdict.report) return;
      const table = relSql(effect);
      const r: RuleReport = {
        effect,
        message: `Dropping table ${t.display} destroys its data and breaks any running code that still uses it.`,
        help: 'Remove every use of the table from the code and deploy that first; drop it in a later release (after a backup or an archive rename).',
        suggestion: [
          `-- release N (expand): remove every use of ${t.display} from the code, mark it, deploy:`,
          `COMMENT ON TABLE ${table} IS 'deprecated: to be dropped';`,
          '-- release N+1 (contract), after a backup, once no reader remains:',
          `-- ddlguard: contract ${table.replace(/"/g, '')} after <release N>`,
          `DROP TABLE ${table};`,
        ].join('\n'),
      };
      out.push(contractReport(ctx, verdict, r));
    });
    return out;
  },
};

export default rule;
