import { lockPhrase } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';
import { blocksApplication, lockStrength } from '../src/locks/modes.js';

const rule: Rule = {
  meta: {
    id: 'require-lock-timeout',
    category: 'blocking',
    defaultSeverity: 'warning',
    summary: 'A statement that needs a lock conflicting with reads or writes runs with no lock_timeout.',
    lock: 'SHARE or stronger on an existing table',
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
    // One report per transaction: if an earlier statement of this transaction already
    // waited for a blocking lock with no timeout, it was reported there.
    for (const held of ctx.fileState.heldLocks.values()) if (held.preExisting && blocksApplication(held.mode)) return [];
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
      message: `Waits for ${lockPhrase(l)} with no lock_timeout: while it waits, every query on ${l.relation.display} queues behind it.`,
      help: 'Set lock_timeout before the statement so it fails fast instead of stalling the application, and retry.',
      suggestion: `${set}\n${ctx.stmt.text};`,
    };
    return [effect ? { ...r, effect } : r];
  },
};

export default rule;
