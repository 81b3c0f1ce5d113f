import { effectsOf, ident, lockPhrase, mainLock, onPreExisting, relSql } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';
import { isKnownFunction } from '../src/sql/volatility.js';
import { SUPPLY_SCHEMA } from '../src/schema/model.js';
import { addColumnParts } from '../src/sql/statement-text.js';
import { notNullSteps } from './set-not-null-scan.js';

const rule: Rule = {
  meta: {
    id: 'add-column-default-rewrite',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'ADD COLUMN with a volatile DEFAULT (or any DEFAULT before PostgreSQL 11) rewrites the table.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'Since PostgreSQL 11, ADD COLUMN ... DEFAULT with a non-volatile expression (a constant, now(), CURRENT_TIMESTAMP) is catalog-only. A volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval(), or any function not known to be stable) must be computed per row, so the table and its indexes are rewritten under ACCESS EXCLUSIVE. Add the column without a default (or with a constant), set the default for new rows, and backfill existing rows in batches.',
      bad: 'ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();',
      good: 'ALTER TABLE users ADD COLUMN token uuid;\nALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();\n-- backfill existing rows in batches:\nUPDATE users SET token = gen_random_uuid() WHERE id BETWEEN 1 AND 10000 AND token IS NULL;',
      links: [
        'https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES',
        'https://www.postgresql.org/docs/current/ddl-alter.html#DDL-ALTER-ADDING-A-COLUMN',
      ],
    },
  },
  check(ctx) {
    const ids = ctx.pgVersion < 11 ? ['add-column-default-volatile', 'add-column-default'] : ['add-column-default-volatile'];
    return onPreExisting(effectsOf(ctx, ...ids)).map((effect) => {
      const fn = effect.volatileFunction;
      const why = !fn
        ? `before PostgreSQL 11 every DEFAULT is written into each row`
        : isKnownFunction(fn, ctx.model.functions)
          ? `the default calls ${fn}(), which is volatile`
          : `the default calls ${fn}(), which no source defines, so it is taken as volatile (${SUPPLY_SCHEMA} to know its volatility)`;
      const table = relSql(effect);
      const col = ident(effect.column);
      // The type and default as written, when the statement is a single ADD COLUMN.
      const single = (ctx.stmt.node.cmds ?? []).length === 1 ? addColumnParts(ctx.stmt.text) : null;
      const type = single?.type || '<type>';
      const expr = single?.default || '<expression>';
      const def = effect.node?.def?.ColumnDef;
      const notNull = (def?.constraints ?? []).some((c: any) => c?.Constraint?.contype === 'CONSTR_NOTNULL');
      const bare = table.split('.').pop()!.replace(/"/g, '');
      const tail = notNull ? `\n-- then enforce NOT NULL without a long lock:\n${notNullSteps(table, bare, effect.column ?? 'column', ctx.pgVersion)}` : '';
      return {
        effect,
        message: `Adding column ${effect.column} rewrites the whole table while holding ${lockPhrase(mainLock(effect))}: ${why}.`,
        help: 'Add the column without the default, set the default for new rows, then backfill existing rows in batches.',
        suggestion: `ALTER TABLE ${table} ADD COLUMN ${col} ${type};\nALTER TABLE ${table} ALTER COLUMN ${col} SET DEFAULT ${expr};\n-- then backfill existing rows in batches (ddlguard plan generates the loop), e.g.\n-- UPDATE ${table} SET ${col} = ${expr} WHERE <key range> AND ${col} IS NULL;${tail}`,
      };
    });
  },
};

export default rule;
