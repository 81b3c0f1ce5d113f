import { effectsOf } from '../src/lint/rule-kit.js';
import type { Rule, RuleReport } from '../src/lint/types.js';
import { qnameFromList } from '../src/sql/ast.js';
import { listed } from './_drops.js';

/** pg_trigger's event bits, as CreateTrigStmt.events carries them. */
const EVENTS: Array<[number, string]> = [
  [4, 'INSERT'],
  [16, 'UPDATE'],
  [8, 'DELETE'],
];
const INSTEAD = 64;

const rule: Rule = {
  meta: {
    id: 'trigger-on-write',
    category: 'hygiene',
    defaultSeverity: 'warning',
    summary: 'A row-level trigger on an existing table: every INSERT, UPDATE or DELETE now runs its function, inside the writing transaction.',
    lock: 'SHARE ROW EXCLUSIVE',
    docs: {
      description:
        'A FOR EACH ROW trigger runs its function once per written row, in the writer\'s transaction: every write to the table gets slower by what the function does (an audit INSERT doubles the writes, a lookup adds a query per row), bulk writes and backfills most of all, and an error in the function now makes the write fail. AFTER row triggers also queue an event per row until the statement ends. Keep the function small, restrict the trigger (UPDATE OF the columns it needs, a WHEN condition), measure it on production-sized writes, and consider a statement-level trigger with transition tables for bulk work.',
      bad: 'CREATE TRIGGER orders_audit AFTER INSERT OR UPDATE OR DELETE ON orders FOR EACH ROW EXECUTE FUNCTION audit_row();',
      good: '-- only the writes that need it, and only when the value changes:\nCREATE TRIGGER orders_status_audit AFTER UPDATE OF status ON orders FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION audit_row();',
      links: ['https://www.postgresql.org/docs/current/sql-createtrigger.html', 'https://www.postgresql.org/docs/current/trigger-definition.html'],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    for (const effect of effectsOf(ctx, 'create-trigger', 'create-or-replace-trigger')) {
      const n = ctx.stmt.node;
      if (!effect.table?.preExisting || !n.row || (Number(n.timing ?? 0) & INSTEAD) !== 0) continue;
      const rel = ctx.model.relations.get(effect.table.key);
      if (rel && rel.kind !== 'table' && rel.kind !== 'partitioned-table' && rel.kind !== 'foreign-table') continue;
      const events = EVENTS.filter(([bit]) => (Number(n.events ?? 0) & bit) !== 0).map(([, name]) => name);
      if (events.length === 0) continue;
      // Limited to some columns or rows (UPDATE OF ..., WHEN): the work is where it is wanted.
      if ((n.columns ?? []).length > 0 || n.whenClause) continue;
      const fn = qnameFromList(n.funcname ?? []).name;
      out.push({
        effect,
        message: `Trigger ${String(n.trigname ?? '')} runs ${fn}() for every row of every ${listed(events)} on ${effect.table.display}, inside the writer's transaction: writes get slower by what it does, and fail when it fails.`,
        help: `Keep ${fn}() small, limit the trigger to the columns and rows that need it (UPDATE OF ..., WHEN (...)), and measure it on production-sized writes and backfills before shipping.`,
      });
    }
    return out;
  },
};

export default rule;
