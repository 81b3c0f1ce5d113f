import { effectsOf, lockPhrase, mainLock, onPreExisting } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';

const HELP: Record<string, string> = {
  'set-logged': 'SET LOGGED / UNLOGGED copies the whole table (and writes it all to WAL when switching to LOGGED).',
  'set-tablespace': 'SET TABLESPACE copies every block; consider pg_repack or a new table filled in batches.',
  'set-access-method': 'SET ACCESS METHOD rewrites the table into the new storage.',
  'vacuum-full': 'VACUUM FULL rewrites the table; use plain VACUUM, or pg_repack / pg_squeeze to reclaim space online.',
  'cluster': 'CLUSTER rewrites the table in index order; pg_repack does the same online.',
  'set-expression': 'SET EXPRESSION recomputes the generated column for every row.',
  'add-column-domain-constraints': 'A column of a domain type with constraints is checked for every existing row by rewriting the table: add it with the base type, add the domain\'s CHECK as a table constraint NOT VALID, then VALIDATE it.',
  'alter-index-set-tablespace': 'Moving an index copies it under an exclusive lock on the index.',
};

const rule: Rule = {
  meta: {
    id: 'table-rewrite',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'Statements that rewrite the whole table (SET LOGGED/UNLOGGED, SET TABLESPACE, VACUUM FULL, CLUSTER ...).',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'Some statements copy the entire table (and rebuild its indexes) while holding ACCESS EXCLUSIVE: ALTER TABLE SET LOGGED / SET UNLOGGED, SET TABLESPACE, SET ACCESS METHOD, ALTER COLUMN ... SET EXPRESSION, VACUUM FULL and CLUSTER. Nothing can read or write the table until the copy finishes. Use online tools (pg_repack, pg_squeeze) or build a new table and switch over.',
      bad: 'VACUUM FULL orders;',
      good: '-- reclaim space online with pg_repack, or just:\nVACUUM orders;',
      links: [
        'https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES',
        'https://www.postgresql.org/docs/current/sql-vacuum.html',
        'https://www.postgresql.org/docs/current/sql-cluster.html',
      ],
    },
  },
  check(ctx) {
    return onPreExisting(effectsOf(ctx, ...Object.keys(HELP)))
      .filter((e) => e.rewrite)
      .map((effect) => ({
        effect,
        // ALTER INDEX ... SET TABLESPACE copies the index, not the table (sql-alterindex).
        message:
          effect.fact.id === 'alter-index-set-tablespace'
            ? `${effect.fact.statement} copies index ${ctx.stmt.node.relation?.relname ?? ''} of ${effect.table?.display ?? 'the table'} while holding ${lockPhrase(mainLock(effect))}.`
            : `${effect.fact.statement} rewrites ${effect.table?.display ?? 'the table'} while holding ${lockPhrase(mainLock(effect))}.`,
        help: HELP[effect.fact.id] ?? 'Run it in a maintenance window or use an online alternative.',
      }));
  },
};

export default rule;
