import { cloneTree, findInsertion, sameTree, type Fix, type FixFile } from '../src/lint/fix.js';
import type { Rule, RuleContext, RuleReport } from '../src/lint/types.js';

/**
 * Insert `text` (` IF NOT EXISTS` / ` IF EXISTS`) where the statement then parses to its own
 * tree with `patch` applied to the node (or to subcommand `cmd` of an ALTER TABLE): the
 * re-parse decides the position, so keyword spellings, comments and quoting cannot mislead it.
 */
function robust(ctx: RuleContext, text: string, patch: Record<string, unknown>, cmd?: number): (file: FixFile) => Fix | null {
  return (file) => {
    if (ctx.stmt.inDoBlock !== null) return null;
    const want = cloneTree(ctx.stmt.node);
    Object.assign(cmd === undefined ? want : want.cmds[cmd].AlterTableCmd, patch);
    const ins = findInsertion(file, ctx.stmt, text, (node) => sameTree(node, want), (t) => t.keyword);
    return ins ? { edits: [{ start: ins.at, end: ins.at, text: ins.text }] } : null;
  };
}

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
    const say = (what: string, fix: string, build: (file: FixFile) => Fix | null) =>
      out.push({ message: `${what} is not safe to re-run after a partial failure.`, help: `Use ${fix}.`, fix: build });
    switch (ctx.stmt.kind) {
      case 'CreateStmt':
        if (!n.if_not_exists) say('CREATE TABLE', 'CREATE TABLE IF NOT EXISTS', robust(ctx, ' IF NOT EXISTS', { if_not_exists: true }));
        break;
      case 'IndexStmt':
        if (!n.if_not_exists && n.idxname) say('CREATE INDEX', 'CREATE INDEX IF NOT EXISTS (and drop an INVALID leftover before retrying)', robust(ctx, ' IF NOT EXISTS', { if_not_exists: true }));
        break;
      case 'DropStmt':
        if (!n.missing_ok) say('DROP', 'DROP ... IF EXISTS', robust(ctx, ' IF EXISTS', { missing_ok: true }));
        break;
      case 'AlterTableStmt':
        (n.cmds ?? []).forEach((c: any, i: number) => {
          const cmd = c?.AlterTableCmd;
          if (cmd?.subtype === 'AT_AddColumn' && !cmd.missing_ok) say('ADD COLUMN', 'ADD COLUMN IF NOT EXISTS', robust(ctx, ' IF NOT EXISTS', { missing_ok: true }, i));
          if ((cmd?.subtype === 'AT_DropColumn' || cmd?.subtype === 'AT_DropConstraint') && !cmd.missing_ok) {
            say(cmd.subtype === 'AT_DropColumn' ? 'DROP COLUMN' : 'DROP CONSTRAINT', 'DROP ... IF EXISTS', robust(ctx, ' IF EXISTS', { missing_ok: true }, i));
          }
        });
        break;
      default:
        break;
    }
    return out;
  },
};

export default rule;
