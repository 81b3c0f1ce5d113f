import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'require-statement-timeout',
    category: 'hygiene',
    defaultSeverity: 'off',
    summary: 'A statement that scans or rewrites an existing table runs with no statement_timeout.',
    lock: 'any',
    docs: {
      description:
        'A statement that scans or rewrites a large table under a lock can run far longer than expected. statement_timeout bounds the damage: the statement is cancelled and its locks released. (CONCURRENTLY builds and VALIDATE CONSTRAINT should run without one; they do not block the application.)',
      bad: 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
      good: "SET statement_timeout = '5min';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;",
      links: ['https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-STATEMENT-TIMEOUT'],
    },
  },
  check(ctx) {
    if (ctx.tx.statementTimeoutMs > 0) return [];
    const slow = ctx.effects.effects.find(
      (e) => (e.scan || e.rewrite) && e.table?.preExisting && e.locks.some((l) => l.relation.preExisting && l.mode !== 'SHARE UPDATE EXCLUSIVE'),
    );
    if (!slow) return [];
    return [{ effect: slow, message: `${slow.fact.statement} may run long on ${slow.table!.display} and no statement_timeout is set.`, help: 'Set statement_timeout before it, so a runaway statement is cancelled and releases its locks.' }];
  },
};

export default rule;
