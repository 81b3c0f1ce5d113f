import { effectsOf, ident, lockPhrase, mainLock, onPreExisting, relSql } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';
import { stringValue } from '../src/sql/ast.js';

const rule: Rule = {
  meta: {
    id: 'unique-requires-index',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'ADD UNIQUE / PRIMARY KEY / EXCLUDE builds its index under ACCESS EXCLUSIVE.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'Adding a UNIQUE, PRIMARY KEY or EXCLUDE constraint builds the backing index while holding ACCESS EXCLUSIVE on the table: no reads or writes for the whole build. Build a unique index CONCURRENTLY first, then attach it with ADD CONSTRAINT ... USING INDEX, which is catalog-only. (A PRIMARY KEY also needs its columns NOT NULL: prove that first with a validated CHECK, see set-not-null-scan.)',
      bad: 'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);',
      good: 'CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;',
      links: [
        'https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ADD-TABLE-CONSTRAINT-USING-INDEX',
        'https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY',
      ],
    },
  },
  check(ctx) {
    return onPreExisting(effectsOf(ctx, 'add-unique', 'add-exclusion')).map((effect) => {
      const con = effect.node?.def?.Constraint ?? effect.node;
      const kind = con?.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : con?.contype === 'CONSTR_EXCLUSION' ? 'EXCLUDE' : 'UNIQUE';
      const cols: string[] = (con?.keys ?? []).map(stringValue);
      if (cols.length === 0 && effect.column) cols.push(effect.column);
      const table = relSql(effect);
      const bare = table.split('.').pop()!.replace(/"/g, '');
      const name = effect.constraint ?? (kind === 'PRIMARY KEY' ? `${bare}_pkey` : `${bare}_${cols.join('_')}_key`);
      const suggestion =
        kind === 'EXCLUDE'
          ? undefined
          : `CREATE UNIQUE INDEX CONCURRENTLY ${ident(name)} ON ${table} (${cols.map(ident).join(', ')});\nALTER TABLE ${table} ADD CONSTRAINT ${ident(name)} ${kind} USING INDEX ${ident(name)};`;
      const r = {
        effect,
        message: `ADD ${kind} builds its index while holding ${lockPhrase(mainLock(effect))}.`,
        help:
          kind === 'EXCLUDE'
            ? 'Exclusion constraints cannot be attached from an existing index: add it while the table is small, or during a maintenance window.'
            : 'Create the unique index CONCURRENTLY, then attach it with ADD CONSTRAINT ... USING INDEX (catalog-only).',
      };
      return suggestion ? { ...r, suggestion } : r;
    });
  },
};

export default rule;
