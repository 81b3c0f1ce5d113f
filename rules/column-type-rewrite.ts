import { effectsOf, ident, lockPhrase, mainLock, onPreExisting, relSql } from '../src/lint/rule-kit.js';
import type { Rule } from '../src/lint/types.js';
import { checksReading, generatedReading, rebuiltByColumnTypeChange, viewsReading } from '../src/schema/model.js';

/** "index a", "indexes a, b", or the fallback when the model names none. */
function listed(noun: string, plural: string, names: string[], fallback: string): string {
  return names.length === 1 ? `${noun} ${names[0]}` : names.length ? `${plural} ${names.join(', ')}` : fallback;
}

const pronoun = (names: string[]) => (names.length > 1 ? 'them' : 'it');

const rule: Rule = {
  meta: {
    id: 'column-type-rewrite',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'ALTER COLUMN ... TYPE rewrites the table and its indexes unless it is binary coercible, and even then builds again each index on the column with an expression or a WHERE clause and checks its CHECK constraints again; it fails on a column a generated column or a view reads.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        "Changing a column's type rewrites the whole table and rebuilds its indexes under ACCESS EXCLUSIVE, unless the change is binary coercible (varchar(n) to varchar(m >= n) or text, numeric(p,s) to numeric(p2 >= p, s), cidr to inet). int to bigint, text to integer, timestamp to timestamptz (unless the session time zone is UTC) all rewrite. A binary-coercible change keeps the rows, but PostgreSQL keeps only plain indexes: each index that uses the column and has an expression or a WHERE clause is built again, and each validated CHECK constraint on it is checked again, reading the whole table under the same lock. The online way: add a new column, keep it in sync with a trigger, backfill in batches, then swap the names in a short transaction.",
      bad: 'ALTER TABLE orders ALTER COLUMN id TYPE bigint;',
      good: '-- expand: new column + sync trigger + batched backfill (ddlguard plan generates the steps)\nALTER TABLE orders ADD COLUMN id_new bigint;\n-- ... trigger, backfill, then in one short transaction swap the columns.',
      links: ['https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES'],
    },
  },
  check(ctx) {
    const rewrites = onPreExisting(effectsOf(ctx, 'alter-column-type', 'alter-column-type-verify')).map((effect) => {
      const reason = effect.typeChange?.reason ?? 'the change is not binary coercible';
      const unknown = effect.typeChange?.cost === 'unknown-rewrite';
      return {
        effect,
        message: unknown
          ? `Changing the type of ${effect.column} rewrites the table and rebuilds its indexes while holding ${lockPhrase(mainLock(effect))}, unless the change is binary coercible: ${reason}.`
          : `Changing the type of ${effect.column} rewrites the table and rebuilds its indexes while holding ${lockPhrase(mainLock(effect))} (${reason}).`,
        help: 'Add a new column with the new type, sync it with a trigger, backfill in batches, then swap the columns in a short transaction (`ddlguard plan` writes these steps).',
      };
    });
    const rebuilds = onPreExisting(effectsOf(ctx, 'alter-column-type-expression-index')).map((effect) => {
      const names = [...ctx.model.indexes.values()]
        .filter((ix) => ix.table === effect.table?.key && effect.column !== null && rebuiltByColumnTypeChange(ix, effect.column))
        .map((ix) => ix.name);
      const it = pronoun(names);
      const which = listed('index', 'indexes', names, 'its indexes with an expression or a WHERE clause');
      return {
        effect,
        message: `Changing the type of ${effect.column} keeps the rows but builds ${which} again (an index with an expression or a WHERE clause is never reused), reading the whole table while holding ${lockPhrase(mainLock(effect))}.`,
        help: `Drop ${it} with DROP INDEX CONCURRENTLY, change the type (a catalog change then), and create ${it} again with CREATE INDEX CONCURRENTLY. Queries run without ${it} in between, and a unique index enforces nothing then. Or add a new column and swap, as for a rewrite (\`ddlguard plan\`).`,
      };
    });
    const checks = onPreExisting(effectsOf(ctx, 'alter-column-type-check')).map((effect) => {
      const rel = effect.table ? ctx.model.relations.get(effect.table.key) : undefined;
      const names = effect.column !== null ? checksReading(rel, effect.column).map((c) => c.name) : [];
      const which = listed('constraint', 'constraints', names, 'its CHECK constraints on the column');
      const it = pronoun(names);
      return {
        effect,
        message: `Changing the type of ${effect.column} keeps the rows but adds ${which} again and checks every row while holding ${lockPhrase(mainLock(effect))}.`,
        help: `Drop ${it} first, change the type (a catalog change then), add ${it} back NOT VALID, and validate ${it} with ${names.length === 1 ? `ALTER TABLE ${relSql(effect)} VALIDATE CONSTRAINT ${ident(names[0]!)}` : 'ALTER TABLE ... VALIDATE CONSTRAINT'}, which lets reads and writes go on.`,
      };
    });
    const refused = onPreExisting(effectsOf(ctx, 'alter-column-type-generated-input')).map((effect) => {
      const rel = effect.table ? ctx.model.relations.get(effect.table.key) : undefined;
      const names = effect.column !== null ? generatedReading(rel, effect.column).map((c) => c.name) : [];
      const which = listed('generated column', 'generated columns', names, 'a generated column');
      const it = pronoun(names);
      return {
        effect,
        message: `Changing the type of ${effect.column} fails: ${which} ${names.length > 1 ? 'read' : 'reads'} it, and PostgreSQL refuses to change the type of such a column.`,
        help: `Drop ${it} first and add ${it} back after the type change (adding a STORED generated column rewrites the table).`,
      };
    });
    const viewed = onPreExisting(effectsOf(ctx, 'alter-column-type-view-input')).map((effect) => {
      const names = effect.table && effect.column !== null ? viewsReading(ctx.model, effect.table.key, effect.column).map((v) => v.name) : [];
      const it = pronoun(names);
      return {
        effect,
        message: `Changing the type of ${effect.column} fails: ${listed('view', 'views', names, 'a view')} ${names.length > 1 ? 'read' : 'reads'} it, and PostgreSQL refuses to change the type of a column a view uses.`,
        help: `Drop ${it}, change the type and create ${it} again, in one transaction (CREATE OR REPLACE VIEW cannot change a column's type).`,
      };
    });
    return [...rewrites, ...rebuilds, ...checks, ...refused, ...viewed];
  },
};

export default rule;
