import type { Rule, RuleReport } from '../src/lint/types.js';
import { alteredTypes, columnDefs } from './_columns.js';

const rule: Rule = {
  meta: {
    id: 'prefer-text',
    category: 'hygiene',
    defaultSeverity: 'off',
    summary: 'varchar(n): prefer text with a CHECK on the length.',
    lock: 'none',
    docs: {
      description:
        'varchar(n) and text are stored the same way. Raising the limit later is cheap, but lowering it rewrites the table; a CHECK (char_length(col) <= n) constraint can be changed with NOT VALID + VALIDATE without any rewrite.',
      bad: 'CREATE TABLE users (name varchar(100));',
      good: 'CREATE TABLE users (name text CHECK (char_length(name) <= 100));',
      links: ['https://www.postgresql.org/docs/current/datatype-character.html'],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    const cols = [...columnDefs(ctx).map((c) => c.def), ...alteredTypes(ctx)];
    for (const c of cols) {
      if (c.type.schema || c.type.name !== 'varchar' || c.type.mods.length === 0) continue;
      out.push({ message: `Column ${c.name} is varchar(${c.type.mods[0]}).`, help: 'Use text with a CHECK (char_length(...) <= n) constraint: the limit can then change without a rewrite.' });
    }
    return out;
  },
};

export default rule;
