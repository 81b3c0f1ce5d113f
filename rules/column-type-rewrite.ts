import { effectsOf, lockPhrase, mainLock, onPreExisting } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'column-type-rewrite',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'ALTER COLUMN ... TYPE that is not binary coercible rewrites the table and its indexes.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'Changing a column\'s type rewrites the whole table and rebuilds its indexes under ACCESS EXCLUSIVE, unless the change is binary coercible (varchar(n) to varchar(m >= n) or text, numeric(p,s) to numeric(p2 >= p, s), cidr to inet). int to bigint, text to integer, timestamp to timestamptz (unless the session time zone is UTC) all rewrite. The online way: add a new column, keep it in sync with a trigger, backfill in batches, then swap the names in a short transaction.',
      bad: 'ALTER TABLE orders ALTER COLUMN id TYPE bigint;',
      good: '-- expand: new column + sync trigger + batched backfill (ddlguard plan generates the steps)\nALTER TABLE orders ADD COLUMN id_new bigint;\n-- ... trigger, backfill, then in one short transaction swap the columns.',
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES'],
    },
  },
  check(ctx) {
    return onPreExisting(effectsOf(ctx, 'alter-column-type', 'alter-column-type-verify')).map((effect) => {
      const reason = effect.typeChange?.reason ?? 'the change is not binary coercible';
      const unknown = effect.typeChange?.cost === 'unknown-rewrite';
      return {
        effect,
        message: unknown
          ? `Changing the type of ${effect.column} rewrites the table and rebuilds its indexes while holding ${lockPhrase(mainLock(effect))}, unless the change is binary coercible: ${reason}.`
          : `Changing the type of ${effect.column} rewrites the table and rebuilds its indexes while holding ${lockPhrase(mainLock(effect))} (${reason}).`,
        help: 'Add a new column with the new type, sync it with a trigger, backfill in batches, then swap the columns in a short transaction (`ddlguard plan` writes these steps).',
      };
    });
  },
};

export default rule;
