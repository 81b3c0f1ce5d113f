import { evidenceSeverity, evidenceSeverityDoc, judgeWriters, withLines } from '../src/lint/compat.js';
import { effectsOf, ident, relSql } from '../src/lint/rule-kit.js';
import { addColumnParts } from '../src/sql/statement-text.js';
import type { Rule, RuleReport } from '../src/lint/types.js';
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
        'A NOT NULL column without a default cannot be added to a table that has rows (the ALTER fails), and even on an empty table every INSERT from the currently deployed code, which does not know the column, starts failing. Add the column nullable (or with a default), deploy code that writes it, backfill, then enforce NOT NULL.' +
        '\n\n' +
        evidenceSeverityDoc('add-column-required', 'error', {
          strong: 'a strong writer (a parsed INSERT into the table that leaves the column out, named at file:line)',
          none: 'no such INSERT',
        }),
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
        const w = ctx.compat && effect.column ? judgeWriters(ctx, effect.table!.key, effect.column) : null;
        const writers = w && w.strong + w.weak > 0 ? ` ${w.strong + w.weak} INSERT${w.strong + w.weak === 1 ? '' : 's'} in the code leave${w.strong + w.weak === 1 ? 's' : ''} it out${w.strong === 0 ? ' (weak matches)' : ''}.` : '';
        const r: RuleReport = {
          effect,
          message: `Column ${effect.column} is added NOT NULL without a default: the ALTER fails if ${effect.table!.display} has rows, and INSERTs from the deployed code (which omit the column) fail after it.${writers}`,
          help: withLines('Add it nullable or with a default, ship code that fills it, backfill, then enforce NOT NULL (expand, migrate, contract).', w?.helpLines ?? []),
          suggestion: `-- release N (expand):\nALTER TABLE ${table} ADD COLUMN ${ident(effect.column)} ${addColumnParts(ctx.stmt.text)?.type || '<type>'};\n-- deploy code that writes ${effect.column ?? 'it'} on every INSERT, backfill existing rows in batches;\n-- release N+1 (contract):\n${notNullSteps(table, bare, effect.column ?? 'column', ctx.pgVersion)}`,
        };
        if (w?.evidence) r.evidence = w.evidence;
        // The severity follows the writers found (a strong one: error; none after a search: lower).
        const severity = evidenceSeverity(ctx, 'add-column-required', w?.found ?? 'not-searched');
        if (severity) r.severity = severity;
        return r;
      });
  },
};

export default rule;
