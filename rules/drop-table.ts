import { effectsOf } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'drop-table',
    category: 'compatibility',
    defaultSeverity: 'warning',
    summary: 'Dropping a table that deployed code may still use; the data is gone for good.',
    lock: 'ACCESS EXCLUSIVE (also on tables it references)',
    docs: {
      description:
        'DROP TABLE is irreversible and breaks every running query, job or service that still uses the table. Stop using it in code first and deploy; consider renaming it (or moving it to an archive schema) for one release before dropping it, so a mistake can be undone.',
      bad: 'DROP TABLE legacy_events;',
      good: '-- release N: remove all uses of legacy_events from code\n-- release N+1 (optionally after ALTER TABLE legacy_events SET SCHEMA archive):\nDROP TABLE legacy_events;',
      links: ['https://www.postgresql.org/docs/current/sql-droptable.html'],
    },
  },
  check(ctx) {
    return effectsOf(ctx, 'drop-table', 'drop-table-with-foreign-keys')
      .filter((e, i, all) => e.table?.preExisting && all.findIndex((o) => o.table?.key === e.table?.key) === i)
      .map((effect) => ({
        effect,
        message: `Dropping table ${effect.table!.display} destroys its data and breaks any running code that still uses it.`,
        help: 'Remove every use of the table from the code and deploy that first; drop it in a later release (after a backup or an archive rename).',
      }));
  },
};

export default rule;
