import type { Rule, RuleReport } from '../src/lint/types.js';
import { walk } from '../src/sql/ast.js';
import { identifierBytes, MAX_IDENTIFIER_BYTES } from '../src/sql/quote.js';

/** Names a statement creates: tables, columns, indexes, constraints, ... */
function createdNames(kind: string, n: any): string[] {
  const out: string[] = [];
  if (kind === 'CreateStmt' && n.relation?.relname) out.push(n.relation.relname);
  if (kind === 'IndexStmt' && n.idxname) out.push(n.idxname);
  if (kind === 'ViewStmt' && n.view?.relname) out.push(n.view.relname);
  if (kind === 'CreateSeqStmt' && n.sequence?.relname) out.push(n.sequence.relname);
  if (kind === 'RenameStmt' && n.newname) out.push(n.newname);
  walk(n, (k, v) => {
    if (k === 'ColumnDef' && v?.colname) out.push(v.colname);
    if (k === 'Constraint' && v?.conname) out.push(v.conname);
  });
  return out;
}

const rule: Rule = {
  meta: {
    id: 'identifier-too-long',
    category: 'hygiene',
    defaultSeverity: 'info',
    summary: 'Identifiers longer than 63 bytes are silently truncated.',
    lock: 'none',
    docs: {
      description:
        'PostgreSQL truncates identifiers to 63 bytes (NAMEDATALEN - 1) with only a NOTICE. The object then has a different name than the migration says, later migrations that use the full name fail, and two long names can collide after truncation.',
      bad: 'CREATE INDEX index_on_customer_subscription_renewal_reminder_last_sent_at_and_status ON subscriptions (last_sent_at, status);',
      good: 'CREATE INDEX subscriptions_renewal_reminder_idx ON subscriptions (last_sent_at, status);',
      links: ['https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS'],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    for (const name of createdNames(ctx.stmt.kind, ctx.stmt.node)) {
      const bytes = identifierBytes(name);
      if (bytes <= MAX_IDENTIFIER_BYTES) continue;
      out.push({ message: `Identifier "${name}" is ${bytes} bytes; PostgreSQL truncates it to 63.`, help: 'Choose a name of at most 63 bytes.' });
    }
    return out;
  },
};

export default rule;
