import type { Rule, RuleReport } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'prefer-robust-stmts',
    category: 'hygiene',
    defaultSeverity: 'off',
    summary: 'Outside a transaction, CREATE/DROP without IF [NOT] EXISTS make a failed migration impossible to re-run.',
    lock: 'none',
    fixable: true,
    docs: {
      description:
        'A migration that runs without a transaction (needed for CONCURRENTLY) keeps whatever it did before a failure. Re-running it then fails on "already exists". IF NOT EXISTS / IF EXISTS make each statement safe to repeat.',
      bad: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
      good: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);',
      links: ['https://www.postgresql.org/docs/current/sql-createindex.html'],
    },
  },
  check(ctx) {
    if (ctx.tx.inTransaction) return [];
    const n = ctx.stmt.node;
    const out: RuleReport[] = [];
    const say = (what: string, fix: string) => out.push({ message: `${what} is not safe to re-run after a partial failure.`, help: `Use ${fix}.` });
    switch (ctx.stmt.kind) {
      case 'CreateStmt':
        if (!n.if_not_exists) say('CREATE TABLE', 'CREATE TABLE IF NOT EXISTS');
        break;
      case 'IndexStmt':
        if (!n.if_not_exists && n.idxname) say('CREATE INDEX', 'CREATE INDEX IF NOT EXISTS (and drop an INVALID leftover before retrying)');
        break;
      case 'DropStmt':
        if (!n.missing_ok) say('DROP', 'DROP ... IF EXISTS');
        break;
      case 'AlterTableStmt':
        for (const c of n.cmds ?? []) {
          const cmd = c?.AlterTableCmd;
          if (cmd?.subtype === 'AT_AddColumn' && !cmd.missing_ok) say('ADD COLUMN', 'ADD COLUMN IF NOT EXISTS');
          if ((cmd?.subtype === 'AT_DropColumn' || cmd?.subtype === 'AT_DropConstraint') && !cmd.missing_ok) say(cmd.subtype === 'AT_DropColumn' ? 'DROP COLUMN' : 'DROP CONSTRAINT', 'DROP ... IF EXISTS');
        }
        break;
      default:
        break;
    }
    return out;
  },
};

export default rule;
