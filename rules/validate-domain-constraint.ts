import { effectsOf, ident, lockPhrase, mainLock, tableSql } from '../src/lint/rule-kit.js';
import type { Rule, RuleReport } from '../src/lint/types.js';
import { qnameFromList } from '../src/sql/ast.js';
import { listed } from './_drops.js';

const rule: Rule = {
  meta: {
    id: 'validate-domain-constraint',
    category: 'blocking',
    defaultSeverity: 'warning',
    summary: 'ALTER DOMAIN ... VALIDATE CONSTRAINT scans every table with a column of the domain under SHARE: writes to them wait.',
    lock: 'SHARE on every table using the domain',
    docs: {
      description:
        'Unlike VALIDATE CONSTRAINT on a table (SHARE UPDATE EXCLUSIVE, reads and writes continue), validating a domain constraint scans every column of the domain while holding SHARE on each table: INSERT, UPDATE and DELETE on all of them wait until the last row is checked (traced on PostgreSQL 15-18). There is no concurrent form. Run it when those writes can wait, with lock_timeout and statement_timeout set; or leave the domain constraint NOT VALID (new values are still checked) and prove the existing rows with a table CHECK added NOT VALID and validated per table, which does not block writes.',
      bad: 'ALTER DOMAIN positive_amount VALIDATE CONSTRAINT positive_amount_check;',
      good: '-- leave the domain constraint NOT VALID (new values are checked) and validate per table, without blocking writes:\nALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive;',
      links: ['https://www.postgresql.org/docs/current/sql-alterdomain.html', 'https://www.postgresql.org/docs/current/explicit-locking.html'],
    },
  },
  check(ctx) {
    const effects = effectsOf(ctx, 'alter-domain-validate-constraint').filter((e) => e.table?.preExisting);
    const first = effects[0];
    if (!first) return [];
    const domain = qnameFromList(ctx.stmt.node.typeName ?? []).name;
    const columns: Array<{ table: string; column: string }> = [];
    for (const e of effects) {
      const rel = ctx.model.relations.get(e.table!.key);
      for (const c of rel?.columns.values() ?? []) if (c.type.name === domain && !c.type.array) columns.push({ table: e.table!.key, column: c.name });
    }
    const r: RuleReport = {
      effect: first,
      message: `VALIDATE CONSTRAINT on domain ${domain} scans ${listed(effects.map((e) => e.table!.display))} while holding ${lockPhrase(mainLock(first))}${effects.length > 1 ? ' on each' : ''}: writes wait until every row is checked.`,
      help: 'Run it when writes can wait (with lock_timeout and statement_timeout), or keep the domain constraint NOT VALID and prove the existing rows with a table CHECK per column, added NOT VALID and validated (no write lock).',
      suggestion: [
        '-- the domain constraint stays NOT VALID (new values are checked); prove the existing rows per table instead:',
        ...columns.flatMap((c) => {
          const name = ident(`${c.table.slice(c.table.indexOf('.') + 1)}_${c.column}_check`);
          return [`ALTER TABLE ${tableSql(c.table)} ADD CONSTRAINT ${name} CHECK (<the domain's condition on ${ident(c.column)}>) NOT VALID;`, `ALTER TABLE ${tableSql(c.table)} VALIDATE CONSTRAINT ${name};`];
        }),
      ].join('\n'),
    };
    return [r];
  },
};

export default rule;
