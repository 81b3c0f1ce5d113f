import { effectsOf, tableSql } from '../src/lint/rule-kit.js';
import type { Rule, RuleReport } from '../src/lint/types.js';
import { outputColumns } from '../src/schema/replay.js';
import { stringValue } from '../src/sql/ast.js';
import { listed } from './_drops.js';

const rule: Rule = {
  meta: {
    id: 'replace-view-columns',
    category: 'compatibility',
    defaultSeverity: 'error',
    summary: 'CREATE OR REPLACE VIEW that drops, renames or reorders columns of an existing view.',
    lock: 'ACCESS EXCLUSIVE on the view',
    docs: {
      description:
        'CREATE OR REPLACE VIEW may only add columns at the end: PostgreSQL rejects a new query that drops, renames or reorders the existing ones ("cannot drop columns from view", "cannot change name of view column"), so the migration fails. Replacing it with DROP VIEW and CREATE VIEW works, but code that reads a column that is gone breaks, and views over this one must be dropped and recreated too. Keep the old columns (add new ones at the end), or remove their use from the code first and recreate the view in one transaction.',
      bad: 'CREATE OR REPLACE VIEW active_users AS SELECT id, email AS contact FROM users WHERE active;',
      good: '-- keep the existing columns, add new ones at the end:\nCREATE OR REPLACE VIEW active_users AS SELECT id, email, email AS contact FROM users WHERE active;',
      links: ['https://www.postgresql.org/docs/current/sql-createview.html'],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    for (const effect of effectsOf(ctx, 'create-view')) {
      const t = effect.table;
      const rel = t ? ctx.model.relations.get(t.key) : undefined;
      if (!rel || rel.kind !== 'view') continue;
      // The catalog's columns when a source read them, else the names the replayed query gave.
      const before = rel.columns.size > 0 && !rel.placeholder ? [...rel.columns.keys()] : rel.outputColumns ? [...rel.outputColumns] : null;
      const names = outputColumns(ctx.model, ctx.stmt.node.query);
      const aliases: string[] = (ctx.stmt.node.aliases ?? []).map(stringValue);
      const after = names ? names.map((c, i) => aliases[i] ?? c) : null;
      if (!before || !after) continue;
      const changed = before.filter((c, i) => after[i] !== c);
      if (changed.length === 0) continue;
      // Same position, new name: a rename; missing elsewhere: dropped; present elsewhere: moved.
      const renamed = before.flatMap((c, i) => (!after.includes(c) && after[i] !== undefined && !before.includes(after[i]!) ? [`${c} to ${after[i]}`] : []));
      const gone = before.filter((c, i) => !after.includes(c) && !(after[i] !== undefined && !before.includes(after[i]!)));
      const lost = before.filter((c) => !after.includes(c));
      const moved = changed.filter((c) => after.includes(c));
      const dependents = [...ctx.model.relations.values()].filter((v) => v.dependsOn.includes(rel.key)).map((v) => v.key);
      const what = [renamed.length ? `renames ${listed(renamed)}` : '', gone.length ? `drops ${listed(gone)}` : '', moved.length ? `moves ${listed(moved)}` : ''].filter(Boolean).join(' and ');
      out.push({
        effect,
        message: `CREATE OR REPLACE VIEW ${t!.display} ${what || 'changes its columns'}: PostgreSQL only lets it add columns at the end, so the statement fails${lost.length ? `, and code that reads ${listed(lost)} breaks once ${lost.length === 1 ? 'it is' : 'they are'} gone` : ''}.`,
        help: 'Keep the existing columns in their order and add new ones at the end; to really remove or rename one, stop reading it in the code first, then DROP VIEW and CREATE VIEW in one transaction (recreating the views over it too).',
        suggestion: [
          `-- either keep ${listed(before)} first, in that order, and add new columns after them; or, once no code reads ${lost.length ? listed(lost) : 'the old columns'}:`,
          'BEGIN;',
          ...dependents.map((d) => `DROP VIEW ${tableSql(d)};  -- recreate it after`),
          `DROP VIEW ${tableSql(rel.key)};`,
          `${ctx.stmt.text.replace(/^\s*CREATE\s+OR\s+REPLACE\s+/i, 'CREATE ')};`,
          'COMMIT;',
        ].join('\n'),
      });
    }
    return out;
  },
};

export default rule;
