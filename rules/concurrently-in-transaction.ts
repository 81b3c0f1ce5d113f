import type { Rule } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'concurrently-in-transaction',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'A statement that cannot run inside a transaction block (CREATE INDEX CONCURRENTLY, ...) runs in one.',
    lock: 'none (the statement fails)',
    docs: {
      description:
        'CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY and VACUUM refuse to run inside a transaction block: the migration fails with "cannot run inside a transaction block". Many frameworks wrap each migration file in a transaction, and a multi-statement query string is one implicit transaction too. Put the statement in its own migration that runs without a transaction.',
      bad: 'BEGIN;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\nCOMMIT;',
      good: '-- a migration of its own, with the framework\'s transaction disabled\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
      links: ['https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY'],
    },
  },
  check(ctx) {
    if (!ctx.tx.inTransaction) return [];
    // ALTER TYPE ... ADD VALUE before PostgreSQL 12 has its own rule (enum-value-in-transaction).
    const bad = ctx.effects.effects.filter((e) => !e.fact.transactional && e.fact.id !== 'enum-add-value' && e.fact.id !== 'enum-add-value-before');
    if (bad.length === 0) return [];
    const e = bad[0]!;
    const where = ctx.stmt.inDoBlock !== null ? 'a DO block' : ctx.tx.explicit ? 'an explicit transaction block' : 'the transaction the migration runner wraps the file in';
    return [
      {
        effect: e,
        message: `${e.fact.statement} cannot run inside a transaction block, and this runs in ${where}: the migration will fail.`,
        help: 'Move the statement to its own migration that runs outside a transaction (disable the framework\'s transaction for that file, e.g. dbmate `transaction:false`, Diesel `run_in_transaction = false`, Flyway `executeInTransaction=false`).',
      },
    ];
  },
};

export default rule;
