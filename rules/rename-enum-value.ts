import { ident, tableSql } from '../src/lint/rule-kit.js';
import type { Rule, RuleReport } from '../src/lint/types.js';
import { quoteLiteral } from '../src/sql/quote.js';
import { qnameFromList } from '../src/sql/ast.js';
import { createdHere, listed } from './_drops.js';

const rule: Rule = {
  meta: {
    id: 'rename-enum-value',
    category: 'compatibility',
    defaultSeverity: 'error',
    summary: 'ALTER TYPE ... RENAME VALUE: running code that writes or compares the old label fails.',
    lock: 'none',
    docs: {
      description:
        "RENAME VALUE changes the label of every stored value at once. Deployed code that still uses the old label fails: an INSERT or UPDATE with it, and even a WHERE status = 'old' comparison, raise \"invalid input value for enum\". Add the new label instead, deploy code that accepts both, move the rows to the new label in batches, then switch the code to write only the new one. Enum values cannot be dropped, so the old label stays unless the type is rebuilt.",
      bad: "ALTER TYPE order_status RENAME VALUE 'paid' TO 'settled';",
      good: "-- release N: add the new label, deploy code that reads both\nALTER TYPE order_status ADD VALUE IF NOT EXISTS 'settled';\n-- release N+1, in batches, then deploy code that writes only 'settled':\nUPDATE orders SET status = 'settled' WHERE status = 'paid';",
      links: ['https://www.postgresql.org/docs/current/sql-altertype.html', 'https://www.postgresql.org/docs/current/datatype-enum.html'],
    },
  },
  check(ctx) {
    const n = ctx.stmt.node;
    if (ctx.stmt.kind !== 'AlterEnumStmt' || !n.oldVal || !n.newVal) return [];
    const m = ctx.model;
    const q = qnameFromList(n.typeName ?? []);
    const key = m.resolveKey(q, (k) => m.enums.has(k));
    const e = m.enums.get(key);
    if (e && createdHere(ctx, e.origin)) return [];
    // The columns of the type, for a concrete backfill.
    const columns: Array<{ table: string; column: string }> = [];
    for (const rel of m.relations.values()) {
      if (rel.kind === 'view') continue;
      for (const c of rel.columns.values()) if (!c.type.array && m.resolveKey({ schema: c.type.schema, name: c.type.name }, (k) => m.enums.has(k)) === key) columns.push({ table: rel.key, column: c.name });
    }
    const oldL = quoteLiteral(String(n.oldVal));
    const newL = quoteLiteral(String(n.newVal));
    const typeSql = tableSql(e ? key : q.schema ? `${q.schema}.${q.name}` : q.name);
    const used = columns.length ? ` It is stored in ${listed(columns.map((c) => `${c.table}.${c.column}`))}.` : '';
    const r: RuleReport = {
      message: `Renaming enum value ${oldL} of ${e ? key : q.name} to ${newL} breaks running code that writes or compares ${oldL}: it fails with "invalid input value for enum".${used}`,
      help: 'Add the new label, deploy code that accepts both, move the rows in batches, then write only the new label (expand, migrate, contract); enum values cannot be dropped.',
      suggestion: [
        `-- release N (expand): add the new label and deploy code that accepts both ${oldL} and ${newL}`,
        `ALTER TYPE ${typeSql} ADD VALUE IF NOT EXISTS ${newL} AFTER ${oldL};`,
        '-- release N+1 (migrate), in batches, then deploy code that writes only the new label:',
        ...(columns.length ? columns.map((c) => `UPDATE ${tableSql(c.table)} SET ${ident(c.column)} = ${newL} WHERE ${ident(c.column)} = ${oldL};`) : [`UPDATE <table> SET <column> = ${newL} WHERE <column> = ${oldL};`]),
        `-- ${oldL} stays in the type (enum values cannot be dropped) unless the type is rebuilt`,
      ].join('\n'),
    };
    const effect = ctx.effects.effects[0];
    return [effect ? { ...r, effect } : r];
  },
};

export default rule;
