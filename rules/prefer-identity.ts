import type { Rule, RuleReport } from '../src/lint/types.js';
import { columnDefs } from './_columns.js';

const rule: Rule = {
  meta: {
    id: 'prefer-identity',
    category: 'hygiene',
    defaultSeverity: 'off',
    summary: 'serial columns: prefer GENERATED ... AS IDENTITY.',
    lock: 'none',
    docs: {
      description:
        'serial is a macro for a sequence plus a DEFAULT; its sequence has separate ownership and permissions, and nothing stops manual inserts from colliding with it. Identity columns (SQL standard, PostgreSQL 10+) keep the sequence tied to the column.',
      bad: 'CREATE TABLE users (id bigserial PRIMARY KEY);',
      good: 'CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);',
      links: ['https://www.postgresql.org/docs/current/ddl-identity-columns.html'],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    for (const { def } of columnDefs(ctx)) {
      if (def.type.schema || !['serial', 'bigserial', 'smallserial'].includes(def.type.name)) continue;
      out.push({ message: `Column ${def.name} uses ${def.type.name}.`, help: 'Use bigint GENERATED ALWAYS AS IDENTITY (or BY DEFAULT) instead of serial types.' });
    }
    return out;
  },
};

export default rule;
