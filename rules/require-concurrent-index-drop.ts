import { effectsOf, insertAfter, lockPhrase, mainLock, onPreExisting } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'require-concurrent-index-drop',
    category: 'blocking',
    defaultSeverity: 'warning',
    summary: 'DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table.',
    lock: 'ACCESS EXCLUSIVE',
    fixable: true,
    docs: {
      description:
        'DROP INDEX takes an ACCESS EXCLUSIVE lock on the index\'s table. The drop itself is quick, but while it waits for running queries to finish every new query on the table queues behind it. DROP INDEX CONCURRENTLY waits for conflicting transactions without blocking reads or writes.',
      bad: 'DROP INDEX users_email_idx;',
      good: '-- outside a transaction block\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;',
      links: ['https://www.postgresql.org/docs/current/sql-dropindex.html'],
    },
  },
  check(ctx) {
    return onPreExisting(effectsOf(ctx, 'drop-index')).map((effect) => ({
      effect,
      message: `DROP INDEX without CONCURRENTLY takes ${lockPhrase(mainLock(effect))}.`,
      help: 'Use DROP INDEX CONCURRENTLY outside a transaction block (one index per statement).',
      suggestion: insertAfter(ctx.stmt.text, /^\s*DROP\s+INDEX\b/i, ' CONCURRENTLY') + ';',
    }));
  },
};

export default rule;
