import { eol, headerOffset, parseOne, topLevel, type Fix, type FixFile } from '../src/lint/fix.js';
import { lockPhrase, queuedPhrase, queuedRelation } from '../src/lint/rule-kit.js';
import type { Rule, RuleContext } from '../src/lint/types.js';
import { blocksApplication, lockStrength } from '../src/locks/modes.js';
import { TransactionTracker } from '../src/migrations/transaction.js';
import type { ParsedStatement } from '../src/sql/statement.js';

const HEADER = "SET lock_timeout = '2s'";

/**
 * One `SET lock_timeout = '2s';` line at the top of the file (after its leading comments,
 * before any statement-level ddlguard comment); every finding of the file proposes the same
 * edit, applied once. Withheld when the header would not reach the statement (a later
 * RESET / SET lock_timeout = 0 in the file overrides it) and for a file that is one statement
 * sent as one query string: a second statement would put both in an implicit transaction.
 */
function fix(ctx: RuleContext, file: FixFile): Fix | null {
  const top = topLevel(file);
  if (file.transaction === 'implicit' && top.length === 1) return null;
  const set = parseOne(HEADER);
  if (!set) return null;
  // Replay the file's transaction/timeout state with the header in front: does it still hold here?
  const tracker = new TransactionTracker({ assumeInTransaction: file.transaction === 'wrapped' || (file.transaction === 'implicit' && top.length > 1) });
  tracker.advance({ kind: set.kind, node: set.node } as ParsedStatement);
  const target = ctx.stmt.inDoBlock ?? ctx.stmt.index;
  for (const s of top) {
    if (s.index >= target) break;
    tracker.advance(s);
  }
  if (tracker.snapshot().lockTimeoutMs <= 0) return null;
  const at = headerOffset(file);
  return at === null ? null : { edits: [{ start: at, end: at, text: `${HEADER};${eol(file)}` }] };
}

const rule: Rule = {
  meta: {
    id: 'require-lock-timeout',
    category: 'blocking',
    defaultSeverity: 'warning',
    summary: 'A statement that needs a lock conflicting with reads or writes runs with no lock_timeout.',
    lock: 'SHARE or stronger on an existing table',
    // One SET lock_timeout before the transaction's first blocking statement fixes them all.
    once: 'transaction',
    fixable: true,
    docs: {
      description:
        'While a DDL statement waits for its lock (behind a long query or an idle transaction), every later query on the table queues behind it: a brief ALTER becomes an outage. With lock_timeout set, the statement gives up instead and can be retried. Set it before any statement whose lock conflicts with ordinary reads or writes (SHARE and stronger) on an existing table: SET lock_timeout, SET LOCAL lock_timeout in the same transaction, or set_config(\'lock_timeout\', ...).',
      bad: 'ALTER TABLE users ADD COLUMN nickname text;',
      good: "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN nickname text;",
      links: [
        'https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT',
        'https://www.postgresql.org/docs/current/explicit-locking.html',
      ],
    },
  },
  check(ctx) {
    if (ctx.tx.lockTimeoutMs > 0) return [];
    // A statement that refuses transaction blocks fails before taking any lock (concurrently-in-transaction).
    if (ctx.tx.inTransaction && ctx.effects.effects.some((e) => !e.fact.transactional)) return [];
    const waiting = ctx.effects.locks.filter((l) => {
      if (!l.relation.preExisting || !blocksApplication(l.mode)) return false;
      const held = ctx.fileState.heldLocks.get(l.relation.key);
      // Already holding an equal or stronger lock in this transaction: no new wait.
      return !held || lockStrength(held.mode) < lockStrength(l.mode);
    });
    if (waiting.length === 0) return [];
    const l = waiting.reduce((a, b) => (lockStrength(b.mode) > lockStrength(a.mode) ? b : a));
    const effect = ctx.effects.effects.find((e) => e.locks.includes(l));
    const set = ctx.tx.inTransaction ? "SET LOCAL lock_timeout = '2s';" : "SET lock_timeout = '2s';";
    const r = {
      message: `Waits for ${lockPhrase(l)} with no lock_timeout: while it waits, every query on ${queuedPhrase(queuedRelation(l, ctx.effects.effects))} queues behind it.`,
      help: 'Set lock_timeout before the statement so it fails fast instead of stalling the application, and retry.',
      suggestion: `${set}\n${ctx.stmt.text};`,
      fix: (file: FixFile) => fix(ctx, file),
    };
    return [effect ? { ...r, effect } : r];
  },
};

export default rule;
