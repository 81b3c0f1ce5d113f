import type { Rule, RuleReport } from '../src/lint/types.js';
import { columnDefs } from './_columns.js';

const SMALL: Record<string, string> = { int2: 'smallint', int4: 'integer', serial: 'serial', smallserial: 'smallserial' };

const rule: Rule = {
  meta: {
    id: 'prefer-bigint',
    category: 'hygiene',
    defaultSeverity: 'off',
    summary: 'integer / smallint / serial columns can overflow; bigint costs little more.',
    lock: 'none',
    docs: {
      description:
        'A 32-bit integer id overflows at about 2.1 billion, and changing the type later rewrites the table. For keys and counters use bigint (or bigint identity) from the start.',
      bad: 'CREATE TABLE events (id serial PRIMARY KEY, count integer);',
      good: 'CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, count bigint);',
      links: ['https://www.postgresql.org/docs/current/datatype-numeric.html#DATATYPE-INT'],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    for (const { def } of columnDefs(ctx)) {
      const t = def.type;
      if (t.schema || t.array || !SMALL[t.name]) continue;
      out.push({ message: `Column ${def.name} is ${SMALL[t.name]}: it can overflow, and widening it later rewrites the table.`, help: 'Use bigint (bigserial, or bigint GENERATED ... AS IDENTITY).' });
    }
    return out;
  },
};

export default rule;
