import { effectsOf, lockPhrase, mainLock, onPreExisting } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const WHAT: Record<string, string> = {
  'add-column-serial': 'a serial column (its nextval() default is volatile)',
  'add-column-identity': 'an identity column (a value is generated for every existing row)',
  'add-column-generated-stored': 'a STORED generated column (computed and written for every row)',
};

const rule: Rule = {
  meta: {
    id: 'add-column-generated-rewrite',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'Adding a serial, identity or STORED generated column rewrites the table.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'serial/bigserial columns default to nextval(), identity columns generate a value per row, and STORED generated columns compute one per row: adding any of them to an existing table rewrites it (and its indexes) under ACCESS EXCLUSIVE. Add a plain nullable column, backfill it in batches, then attach the sequence/identity or use a trigger; on PostgreSQL 18 a VIRTUAL generated column needs no rewrite.',
      bad: 'ALTER TABLE events ADD COLUMN seq bigserial;',
      good: 'ALTER TABLE events ADD COLUMN seq bigint;\n-- backfill in batches, then:\nCREATE SEQUENCE events_seq_seq OWNED BY events.seq;\nALTER TABLE events ALTER COLUMN seq SET DEFAULT nextval(\'events_seq_seq\');',
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES'],
    },
  },
  check(ctx) {
    return onPreExisting(effectsOf(ctx, 'add-column-serial', 'add-column-identity', 'add-column-generated-stored')).map((effect) => ({
      effect,
      message: `Adding ${WHAT[effect.fact.id]} rewrites the whole table while holding ${lockPhrase(mainLock(effect))}.`,
      help:
        effect.fact.id === 'add-column-generated-stored'
          ? 'Add a plain column kept in sync by a trigger and backfill it in batches' + (ctx.pgVersion >= 18 ? ', or use a VIRTUAL generated column (PostgreSQL 18, no rewrite).' : '.')
          : 'Add a plain nullable column, backfill it in batches, then attach the sequence as its default (ALTER COLUMN ... SET DEFAULT nextval(...)).',
    }));
  },
};

export default rule;
