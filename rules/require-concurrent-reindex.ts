import { effectsOf, lockPhrase, mainLock, onPreExisting } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'require-concurrent-reindex',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'REINDEX without CONCURRENTLY blocks writes (and reads that use the index) while it rebuilds.',
    lock: 'SHARE / ACCESS EXCLUSIVE on the index',
    fixable: true,
    docs: {
      description:
        'REINDEX takes a SHARE lock on the table, blocking writes, and an ACCESS EXCLUSIVE lock on each index it rebuilds, blocking every query that would use it. PostgreSQL 12 added REINDEX ... CONCURRENTLY, which rebuilds without blocking reads or writes (outside a transaction block).',
      bad: 'REINDEX INDEX users_email_idx;',
      good: 'REINDEX INDEX CONCURRENTLY users_email_idx;',
      links: ['https://www.postgresql.org/docs/current/sql-reindex.html'],
    },
  },
  check(ctx) {
    if (ctx.pgVersion < 12) return [];
    return onPreExisting(effectsOf(ctx, 'reindex')).map((effect) => ({
      effect,
      message: `REINDEX without CONCURRENTLY takes ${lockPhrase(mainLock(effect))} and locks the index exclusively.`,
      help: 'Use REINDEX ... CONCURRENTLY (PostgreSQL 12+) outside a transaction block.',
      suggestion: ctx.stmt.text.replace(/^(\s*REINDEX\s*(?:\([^)]*\)\s*)?(?:INDEX|TABLE|SCHEMA|DATABASE|SYSTEM))\b/i, '$1 CONCURRENTLY') + ';',
    }));
  },
};

export default rule;
