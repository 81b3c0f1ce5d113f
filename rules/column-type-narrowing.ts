import { effectsOf } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'column-type-narrowing',
    category: 'compatibility',
    defaultSeverity: 'warning',
    summary: 'Changing a column to a narrower type: existing or future values may not fit.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'Narrowing a type (bigint to integer, varchar(255) to varchar(50), numeric scale reduction, timestamp to date) fails the migration if any existing value does not fit, and afterwards the deployed code\'s writes of larger values fail. Check the data first (`ddlguard verify preflight`), make sure no code writes larger values, and prefer a CHECK constraint added NOT VALID + VALIDATE over a narrower type.',
      bad: 'ALTER TABLE users ALTER COLUMN bio TYPE varchar(100);',
      good: "ALTER TABLE users ADD CONSTRAINT users_bio_length CHECK (char_length(bio) <= 100) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_bio_length;",
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-SET-DATA-TYPE'],
    },
  },
  check(ctx) {
    return effectsOf(ctx, 'alter-column-type', 'alter-column-type-binary-compatible')
      .filter((e) => e.table?.preExisting && e.typeChange?.narrowing)
      .map((effect) => ({
        effect,
        message: `Narrowing the type of ${effect.column} (${effect.typeChange!.reason}): the ALTER fails on values that do not fit, and writes of larger values from deployed code fail afterwards.`,
        help: 'Check existing data first (`ddlguard verify preflight`) and prefer a CHECK constraint added NOT VALID + VALIDATE.',
      }));
  },
};

export default rule;
