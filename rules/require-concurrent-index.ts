import { effectsOf, insertAfter, lockPhrase, mainLock, onPreExisting } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'require-concurrent-index',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'CREATE INDEX without CONCURRENTLY on an existing table blocks writes for the whole build.',
    lock: 'SHARE',
    fixable: true,
    docs: {
      description:
        'A plain CREATE INDEX takes a SHARE lock on the table: every INSERT, UPDATE and DELETE waits until the index is built, which on a large table means minutes. CREATE INDEX CONCURRENTLY builds it with a SHARE UPDATE EXCLUSIVE lock while writes continue. It cannot run inside a transaction block, and if it fails it leaves an INVALID index that must be dropped before retrying.',
      bad: 'CREATE INDEX users_email_idx ON users (email);',
      good: '-- outside a transaction block\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);',
      links: ['https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY'],
    },
  },
  check(ctx) {
    return onPreExisting(effectsOf(ctx, 'create-index')).map((effect) => ({
      effect,
      message: `CREATE INDEX without CONCURRENTLY takes ${lockPhrase(mainLock(effect))} until the index is built.`,
      help: 'Build the index with CREATE INDEX CONCURRENTLY, outside a transaction block; if it fails, drop the INVALID index before retrying.',
      suggestion: insertAfter(ctx.stmt.text, /^\s*CREATE\s+(UNIQUE\s+)?INDEX\b/i, ' CONCURRENTLY') + ';',
    }));
  },
};

export default rule;
