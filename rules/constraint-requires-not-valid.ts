import { effectsOf, ident, lockPhrase, mainLock, onPreExisting, relSql } from '../src/lint/rule-kit.js';
import type { Rule, RuleReport } from '../src/lint/types.js';

const rule: Rule = {
  meta: {
    id: 'constraint-requires-not-valid',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'Adding a CHECK or FOREIGN KEY to an existing table validates every row while holding the lock.',
    lock: 'ACCESS EXCLUSIVE (CHECK) / SHARE ROW EXCLUSIVE on both tables (FOREIGN KEY)',
    fixable: true,
    docs: {
      description:
        'ADD CONSTRAINT ... CHECK scans the whole table under ACCESS EXCLUSIVE (no reads or writes); ADD FOREIGN KEY scans it under SHARE ROW EXCLUSIVE on both tables (no writes to either). Add the constraint NOT VALID, which only checks new rows and needs the lock briefly, then VALIDATE CONSTRAINT in a separate transaction: validation takes SHARE UPDATE EXCLUSIVE, so reads and writes continue.',
      bad: 'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);',
      good: 'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n-- in a separate transaction:\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;',
      links: [
        'https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-TABLE-CONSTRAINT',
        'https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES',
      ],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    for (const effect of onPreExisting(effectsOf(ctx, 'add-check', 'add-foreign-key'))) {
      const name = effect.constraint ?? `${effect.table?.display.split('.').pop()}_${effect.fact.id === 'add-check' ? 'check' : 'fkey'}`;
      const kind = effect.fact.id === 'add-check' ? 'CHECK' : 'FOREIGN KEY';
      const single = (ctx.stmt.node.cmds ?? []).length === 1 && ctx.stmt.inDoBlock === null;
      const addSql = single ? `${ctx.stmt.text} NOT VALID;` : `ALTER TABLE ${relSql(effect)} ADD CONSTRAINT ${ident(name)} ${kind} (...) NOT VALID;`;
      out.push({
        effect,
        message: `Adding a ${kind} constraint validates every existing row while holding ${lockPhrase(mainLock(effect))}.`,
        help: 'Add it NOT VALID (new rows are checked at once), then VALIDATE CONSTRAINT in a separate transaction, which does not block reads or writes.',
        suggestion: `${addSql}\n-- then, in a separate transaction:\nALTER TABLE ${relSql(effect)} VALIDATE CONSTRAINT ${ident(name)};`,
      });
    }
    for (const effect of onPreExisting(effectsOf(ctx, 'add-column-check', 'add-column-references-default'))) {
      const fk = effect.fact.id === 'add-column-references-default';
      out.push({
        effect,
        message: `ADD COLUMN with an inline ${fk ? 'REFERENCES' : 'CHECK'} validates every existing row while holding ${lockPhrase(mainLock(effect))}.`,
        help: 'Add the column without the constraint, then add the constraint NOT VALID and VALIDATE it in a separate transaction.',
        suggestion: `ALTER TABLE ${relSql(effect)} ADD COLUMN ${ident(effect.column)} <type>;\nALTER TABLE ${relSql(effect)} ADD CONSTRAINT ${ident(`${effect.table?.display.split('.').pop()}_${effect.column}_${fk ? 'fkey' : 'check'}`)} ${fk ? `FOREIGN KEY (${ident(effect.column)}) REFERENCES ...` : 'CHECK (...)'} NOT VALID;\nALTER TABLE ${relSql(effect)} VALIDATE CONSTRAINT ${ident(`${effect.table?.display.split('.').pop()}_${effect.column}_${fk ? 'fkey' : 'check'}`)};`,
      });
    }
    return out;
  },
};

export default rule;
