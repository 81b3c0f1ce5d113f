import { effectsOf, ident, relSql } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'drop-column',
    category: 'compatibility',
    defaultSeverity: 'warning',
    summary: 'Dropping a column that deployed code may still read or write.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'During a rolling deploy (and in workers, reports and other services) the previous version of the code still runs. If it selects or inserts the dropped column its queries fail, and ORMs that list every column in SELECT fail too. Stop using the column first (for Rails: ignored_columns; other ORMs: remove the field), deploy, then drop it in a later release.',
      bad: 'ALTER TABLE users DROP COLUMN legacy_flag;',
      good: "-- release N: stop reading/writing legacy_flag in code\n-- release N+1:\nSET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN legacy_flag;",
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-DROP-COLUMN'],
    },
  },
  check(ctx) {
    return effectsOf(ctx, 'drop-column')
      .filter((e) => e.table?.preExisting)
      .filter((e) => !(e.column && e.table && ctx.fileState.columnsAdded.get(e.table.key)?.has(e.column)))
      .map((effect) => ({
        effect,
        message: `Dropping column ${effect.column} of ${effect.table!.display} breaks any running code that still reads or writes it.`,
        help: 'Remove every use of the column from the code and deploy that first; drop the column in a later release.',
        suggestion: `-- later release, once no reader remains:\nALTER TABLE ${relSql(effect)} DROP COLUMN ${ident(effect.column)};`,
      }));
  },
};

export default rule;
