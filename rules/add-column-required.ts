import { effectsOf, ident, relSql } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';
import { notNullSteps } from './set-not-null-scan.js';

const rule: Rule = {
  meta: {
    id: 'add-column-required',
    category: 'compatibility',
    defaultSeverity: 'error',
    summary: 'ADD COLUMN ... NOT NULL without a DEFAULT on an existing table.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'A NOT NULL column without a default cannot be added to a table that has rows (the ALTER fails), and even on an empty table every INSERT from the currently deployed code, which does not know the column, starts failing. Add the column nullable (or with a default), deploy code that writes it, backfill, then enforce NOT NULL.',
      bad: 'ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;',
      good: "ALTER TABLE users ADD COLUMN tenant_id bigint;\n-- deploy code that writes tenant_id, backfill in batches, then:\nALTER TABLE users ADD CONSTRAINT users_tenant_id_not_null CHECK (tenant_id IS NOT NULL) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_tenant_id_not_null;\nALTER TABLE users ALTER COLUMN tenant_id SET NOT NULL;",
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-COLUMN'],
    },
  },
  check(ctx) {
    return effectsOf(ctx, 'add-column-not-null')
      .filter((e) => e.table?.preExisting)
      .map((effect) => {
        const table = relSql(effect);
        const bare = table.split('.').pop()!.replace(/"/g, '');
        return {
          effect,
          message: `Column ${effect.column} is added NOT NULL without a default: the ALTER fails if ${effect.table!.display} has rows, and INSERTs from the deployed code (which omit the column) fail after it.`,
          help: 'Add it nullable or with a default, ship code that fills it, backfill, then enforce NOT NULL (expand, migrate, contract).',
          suggestion: `ALTER TABLE ${table} ADD COLUMN ${ident(effect.column)} <type>;\n-- after the code writes it and existing rows are backfilled:\n${notNullSteps(table, bare, effect.column ?? 'column', ctx.pgVersion)}`,
        };
      });
  },
};

export default rule;
