import type { Rule, RuleReport } from '../src/lint/types.js';
import { alteredTypes, columnDefs } from './_columns.js';

const rule: Rule = {
  meta: {
    id: 'prefer-timestamptz',
    category: 'hygiene',
    defaultSeverity: 'info',
    summary: 'timestamp without time zone: prefer timestamptz.',
    lock: 'none',
    docs: {
      description:
        'timestamp (without time zone) stores wall-clock time with no zone, so values written from sessions in different time zones cannot be compared, and converting the column later rewrites the table. timestamptz stores an absolute instant.',
      bad: 'CREATE TABLE events (created_at timestamp);',
      good: 'CREATE TABLE events (created_at timestamptz);',
      links: ['https://www.postgresql.org/docs/current/datatype-datetime.html'],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    const cols = [...columnDefs(ctx).map((c) => c.def), ...alteredTypes(ctx)];
    for (const c of cols) {
      if (c.type.schema || c.type.name !== 'timestamp') continue;
      out.push({ message: `Column ${c.name} is timestamp without time zone.`, help: 'Use timestamptz.' });
    }
    return out;
  },
};

export default rule;
