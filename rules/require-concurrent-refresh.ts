import { effectsOf, insertAfter, lockPhrase, mainLock, onPreExisting } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'require-concurrent-refresh',
    category: 'blocking',
    defaultSeverity: 'warning',
    summary: 'REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view for the whole refresh.',
    lock: 'ACCESS EXCLUSIVE',
    fixable: true,
    docs: {
      description:
        'A plain REFRESH MATERIALIZED VIEW holds ACCESS EXCLUSIVE on the view while it recomputes it, so every query reading the view waits. REFRESH ... CONCURRENTLY takes an EXCLUSIVE lock that still allows reads; it requires a unique index on the view and cannot be used on a view that has never been populated.',
      bad: 'REFRESH MATERIALIZED VIEW daily_totals;',
      good: '-- requires a UNIQUE index on the view\nREFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;',
      links: ['https://www.postgresql.org/docs/current/sql-refreshmaterializedview.html'],
    },
  },
  check(ctx) {
    return onPreExisting(effectsOf(ctx, 'refresh-materialized-view')).map((effect) => ({
      effect,
      message: `REFRESH MATERIALIZED VIEW without CONCURRENTLY takes ${lockPhrase(mainLock(effect))} for the whole refresh.`,
      help: 'Use REFRESH MATERIALIZED VIEW CONCURRENTLY (the view needs a unique index); reads continue during the refresh.',
      suggestion: insertAfter(ctx.stmt.text, /^\s*REFRESH\s+MATERIALIZED\s+VIEW\b/i, ' CONCURRENTLY') + ';',
    }));
  },
};

export default rule;
