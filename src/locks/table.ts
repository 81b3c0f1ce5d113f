/**
 * The lock knowledge table: for each statement kind (and the options that change
 * its behaviour), per PostgreSQL major version, the lock taken on each relation
 * it touches, whether it rewrites the table, and whether it scans it while the
 * lock is held. Rules, the planner and trace's conformance suite read this
 * table; nothing else restates these facts.
 *
 * Sources: PostgreSQL docs "Explicit Locking" (13.3), "ALTER TABLE" (lock level
 * and rewrite notes per subcommand), "CREATE INDEX", "REINDEX", "ALTER INDEX",
 * "REFRESH MATERIALIZED VIEW", "CLUSTER", "VACUUM", "ALTER TYPE", "ALTER DOMAIN",
 * "DROP SCHEMA" and the other DROP pages, "CREATE POLICY", "GRANT", "LOCK". Where
 * the docs name no lock level (most of them), the facts are what the servers took:
 * every sample below was traced on PostgreSQL 15, 16, 17, 18 and PGlite (18) and
 * test/trace/conformance.test.ts keeps checking them.
 */
import type { LockMode } from './modes.js';

/** The relation a lock applies to, relative to the statement. */
export type LockTarget =
  | 'table' // the relation the statement names (table, view, matview)
  | 'index' // the index the statement names
  | 'referenced-table' // the table a foreign key points to
  | 'parent' // the partitioned table
  | 'partition' // the partition being attached / detached
  | 'default-partition' // the parent's default partition, scanned on ATTACH / CREATE TABLE ... PARTITION OF
  | 'partition-index' // the partition's index ALTER INDEX ... ATTACH PARTITION attaches
  | 'using-table' // a table with a column of the domain ALTER DOMAIN changes
  | 'dependent'; // a relation a DROP ... CASCADE drops or alters (a view over it, a table whose column, default or foreign key goes)

export interface LockEffect {
  target: LockTarget;
  mode: LockMode;
}

export interface LockFactVariant {
  /** First major version this variant applies to (inclusive). */
  since?: number;
  /** Last major version this variant applies to (inclusive). */
  until?: number;
  locks: LockEffect[];
  /**
   * The relation the statement works on gets new storage (a new relfilenode, which is what
   * conformance checks): the table and its indexes, or for REINDEX and ALTER INDEX the index
   * alone. Duration proportional to its size, except where a note says the new storage is empty.
   */
  rewrite: boolean;
  /** The table is read in full while the lock is held (validation, index build). */
  scan: boolean;
  /**
   * Fails at the first row of a non-empty table (the check it scans for cannot pass): the scan
   * reads nothing (empty table) or stops at once, so it never holds the lock for long.
   */
  failsOnRows?: boolean;
  /** The new storage `rewrite` reports is empty (nothing is read or copied): it takes no time. */
  emptyRewrite?: boolean;
  /** May run inside a transaction block. */
  transactional?: boolean;
  /** Not available on this version (the statement errors). */
  unsupported?: boolean;
  note?: string;
}

export interface LockFact {
  id: string;
  /** The statement form, as a reader would write it. */
  statement: string;
  /** A statement that exercises this fact on table `t` (columns id int PK, a int, b text; see trace/conformance). */
  sample?: string;
  docs: string;
  variants: LockFactVariant[];
}

const AE: LockMode = 'ACCESS EXCLUSIVE';
const SUE: LockMode = 'SHARE UPDATE EXCLUSIVE';
const SRE: LockMode = 'SHARE ROW EXCLUSIVE';
const SHARE: LockMode = 'SHARE';
const EXCL: LockMode = 'EXCLUSIVE';
const RE: LockMode = 'ROW EXCLUSIVE';
const RS: LockMode = 'ROW SHARE';

const ALTER_TABLE = 'https://www.postgresql.org/docs/current/sql-altertable.html';
const LOCKING = 'https://www.postgresql.org/docs/current/explicit-locking.html';

function fact(id: string, statement: string, docs: string, variants: LockFactVariant[], sample?: string): LockFact {
  return sample === undefined ? { id, statement, docs, variants } : { id, statement, docs, variants, sample };
}

const on = (mode: LockMode, target: LockTarget = 'table'): LockEffect => ({ target, mode });

/**
 * The facts of an ALTER COLUMN ... TYPE of the column itself, rewriting or not: what readers and
 * the type-narrowing checks look at (alter-column-type-verify, to a domain with constraints, and
 * alter-column-type-foreign-key, the other table of a key, are not among them).
 */
export const COLUMN_TYPE_CHANGE_FACTS: readonly string[] = ['alter-column-type', 'alter-column-type-binary-compatible', 'alter-column-type-expression-index', 'alter-column-type-check'];

export const LOCK_FACTS: readonly LockFact[] = [
  // ---- indexes -------------------------------------------------------------
  fact('create-index', 'CREATE INDEX', 'https://www.postgresql.org/docs/current/sql-createindex.html', [
    { locks: [on(SHARE)], rewrite: false, scan: true, note: 'builds the index in one scan; writes wait for the whole build' },
  ], 'CREATE INDEX t_a_idx ON t (a)'),
  fact('create-index-on-only', 'CREATE INDEX ... ON ONLY <partitioned table>', 'https://www.postgresql.org/docs/current/sql-createindex.html', [
    {
      locks: [on(SHARE)],
      rewrite: false,
      scan: false,
      note: "catalog only: creates the parent index, INVALID while a partition lacks an attached index, and builds nothing; the partitions are not locked (the lock is CREATE INDEX's SHARE, held for the catalog change only)",
    },
  ], 'CREATE INDEX pt_a_idx ON ONLY pt (a)'),
  fact('alter-index-attach-partition', 'ALTER INDEX ... ATTACH PARTITION', 'https://www.postgresql.org/docs/current/sql-alterindex.html', [
    {
      locks: [on(SUE, 'index'), on(AE, 'partition-index')],
      rewrite: false,
      scan: false,
      note: "catalog only: SHARE UPDATE EXCLUSIVE on the partitioned index, ACCESS EXCLUSIVE on the partition's index (planning a query on that partition waits for it), ACCESS SHARE on both tables; the parent index becomes valid once every partition has one attached",
    },
  ], 'ALTER INDEX pt_a_idx ATTACH PARTITION pt_1_a_idx'),
  fact('create-index-concurrently', 'CREATE INDEX CONCURRENTLY', 'https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY', [
    { locks: [on(SUE)], rewrite: false, scan: true, transactional: false, note: 'two scans, waits for older transactions; reads and writes continue' },
  ], 'CREATE INDEX CONCURRENTLY t_a_idx ON t (a)'),
  fact('drop-index', 'DROP INDEX', 'https://www.postgresql.org/docs/current/sql-dropindex.html', [
    { locks: [on(AE), on(AE, 'index')], rewrite: false, scan: false },
  ], 'DROP INDEX t_b_idx'),
  fact('drop-index-concurrently', 'DROP INDEX CONCURRENTLY', 'https://www.postgresql.org/docs/current/sql-dropindex.html', [
    { locks: [on(SUE), on(SUE, 'index')], rewrite: false, scan: false, transactional: false },
  ], 'DROP INDEX CONCURRENTLY t_b_idx'),
  fact('reindex', 'REINDEX INDEX | TABLE', 'https://www.postgresql.org/docs/current/sql-reindex.html', [
    {
      locks: [on(SHARE), on(AE, 'index')],
      rewrite: true,
      scan: true,
      note: "rebuilds the index into new storage: the index's relfilenode changes, the table's does not, and the table is read once (PostgreSQL 15-18, PGlite); writes wait, and reads that would use the index wait too",
    },
  ], 'REINDEX INDEX t_b_idx'),
  fact('reindex-concurrently', 'REINDEX ... CONCURRENTLY', 'https://www.postgresql.org/docs/current/sql-reindex.html', [
    { until: 11, locks: [], rewrite: false, scan: false, unsupported: true, note: 'REINDEX CONCURRENTLY needs PostgreSQL 12' },
    { since: 12, locks: [on(SUE), on(SUE, 'index')], rewrite: true, scan: true, transactional: false, note: 'builds a new index beside the old one and swaps them: the index gets new storage, the table does not; the old index object is then dropped under ACCESS EXCLUSIVE once no query uses it (sampled on 18), which blocks nothing' },
  ], 'REINDEX INDEX CONCURRENTLY t_b_idx'),
  fact('alter-index-rename', 'ALTER INDEX ... RENAME', 'https://www.postgresql.org/docs/current/sql-alterindex.html', [
    { until: 11, locks: [on(AE, 'index')], rewrite: false, scan: false },
    { since: 12, locks: [on(SUE, 'index')], rewrite: false, scan: false },
  ], 'ALTER INDEX t_b_idx RENAME TO t_b_idx2'),
  fact('alter-index-set', 'ALTER INDEX ... SET / RESET (storage parameter) | ALTER COLUMN ... SET STATISTICS', 'https://www.postgresql.org/docs/current/sql-alterindex.html', [
    { locks: [on(SUE, 'index')], rewrite: false, scan: false, note: 'fillfactor, deduplicate_items and the statistics target (btree, hash, GiST fillfactor); the index is not rebuilt' },
  ], 'ALTER INDEX t_b_idx SET (fillfactor = 80)'),
  fact('alter-index-set-exclusive', 'ALTER INDEX ... SET (fastupdate | gin_pending_list_limit | buffering | pages_per_range | autosummarize)', 'https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-STORAGE-PARAMETERS', [
    { locks: [on(AE, 'index')], rewrite: false, scan: false, note: 'the GIN, GiST and BRIN parameters take ACCESS EXCLUSIVE on the index (traced: fastupdate, gin_pending_list_limit, buffering, pages_per_range, autosummarize), so queries that plan on the table wait' },
  ], 'ALTER INDEX t_j_idx SET (fastupdate = off)'),
  fact('alter-index-set-tablespace', 'ALTER INDEX ... SET TABLESPACE', 'https://www.postgresql.org/docs/current/sql-alterindex.html', [
    { locks: [on(AE, 'index')], rewrite: true, scan: false, note: 'copies the index files' },
  ]),

  // ---- ADD COLUMN ----------------------------------------------------------
  fact('add-column', 'ALTER TABLE ... ADD COLUMN (nullable, no default)', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false, note: 'catalog-only change' },
  ], 'ALTER TABLE t ADD COLUMN c int'),
  fact('add-column-default', 'ALTER TABLE ... ADD COLUMN ... DEFAULT <non-volatile>', ALTER_TABLE, [
    { until: 10, locks: [on(AE)], rewrite: true, scan: true, note: 'before PostgreSQL 11 every DEFAULT is written into each row' },
    { since: 11, locks: [on(AE)], rewrite: false, scan: false, note: 'PostgreSQL 11+ stores a non-volatile default in the catalog (no rewrite)' },
  ], "ALTER TABLE t ADD COLUMN c text DEFAULT 'x'"),
  fact('add-column-default-volatile', 'ALTER TABLE ... ADD COLUMN ... DEFAULT <volatile>', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: true, scan: true, note: 'a volatile default is evaluated for every existing row' },
  ], 'ALTER TABLE t ADD COLUMN c float8 DEFAULT random()'),
  fact('add-column-domain-constraints', 'ALTER TABLE ... ADD COLUMN ... <domain with constraints>', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: true, scan: true, note: 'the domain\'s constraints must be checked for every existing row, so the table is rewritten' },
  ], 'ALTER TABLE t ADD COLUMN c posint'),
  fact('add-column-not-null', 'ALTER TABLE ... ADD COLUMN ... NOT NULL (no default)', ALTER_TABLE, [
    {
      locks: [on(AE)],
      rewrite: false,
      scan: true,
      failsOnRows: true,
      note: 'the new column is NULL in every row, so the NOT NULL check fails at the first row of a non-empty table (PostgreSQL 15-18, PGlite: "contains null values"); on an empty table it is one scan of nothing',
    },
  ], 'ALTER TABLE t ADD COLUMN c int NOT NULL'),
  fact('add-column-serial', 'ALTER TABLE ... ADD COLUMN ... serial / bigserial', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: true, scan: true, note: 'nextval() is volatile: every row is rewritten' },
  ], 'ALTER TABLE t ADD COLUMN c bigserial'),
  fact('add-column-identity', 'ALTER TABLE ... ADD COLUMN ... GENERATED AS IDENTITY', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: true, scan: true, note: 'an identity column is filled for every existing row' },
  ], 'ALTER TABLE t ADD COLUMN c bigint GENERATED BY DEFAULT AS IDENTITY'),
  fact('add-column-generated-stored', 'ALTER TABLE ... ADD COLUMN ... GENERATED ALWAYS AS (...) STORED', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: true, scan: true },
  ], 'ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a + 1) STORED'),
  fact('add-column-generated-virtual', 'ALTER TABLE ... ADD COLUMN ... GENERATED ALWAYS AS (...) VIRTUAL', ALTER_TABLE, [
    { until: 17, locks: [], rewrite: false, scan: false, unsupported: true, note: 'virtual generated columns need PostgreSQL 18' },
    { since: 18, locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a + 1) VIRTUAL'),
  fact('add-column-check', 'ALTER TABLE ... ADD COLUMN ... CHECK (...)', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: true, note: 'the CHECK is verified against every row' },
  ], 'ALTER TABLE t ADD COLUMN c int CHECK (c > 0)'),
  fact('add-column-references', 'ALTER TABLE ... ADD COLUMN ... REFERENCES (no DEFAULT)', ALTER_TABLE, [
    { locks: [on(AE), on(SRE, 'referenced-table')], rewrite: false, scan: false, note: 'the new column is all NULL, so PostgreSQL skips validating the foreign key; writes to the referenced table wait for the lock' },
  ], 'ALTER TABLE t ADD COLUMN c int REFERENCES p (id)'),
  fact('add-column-references-default', 'ALTER TABLE ... ADD COLUMN ... DEFAULT ... REFERENCES', ALTER_TABLE, [
    { locks: [on(AE), on(SRE, 'referenced-table')], rewrite: false, scan: true, note: 'validates the new foreign key against every row; writes to the referenced table wait' },
  ], 'ALTER TABLE t ADD COLUMN c int DEFAULT 1 REFERENCES p (id)'),

  // ---- column changes ------------------------------------------------------
  fact('drop-column', 'ALTER TABLE ... DROP COLUMN', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false, note: 'catalog-only; space is reclaimed by later updates' },
  ], 'ALTER TABLE t DROP COLUMN b'),
  fact('alter-column-type', 'ALTER TABLE ... ALTER COLUMN ... TYPE (rewriting)', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: true, scan: true, note: 'rewrites the table and rebuilds its indexes' },
  ], 'ALTER TABLE t ALTER COLUMN a TYPE bigint'),
  fact('alter-column-type-binary-compatible', 'ALTER TABLE ... ALTER COLUMN ... TYPE (binary coercible, e.g. varchar(n) -> varchar(m>n) or text)', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false, note: 'binary-coercible change: catalog only' },
  ], 'ALTER TABLE t ALTER COLUMN b TYPE text'),
  fact('alter-column-type-verify', 'ALTER TABLE ... ALTER COLUMN ... TYPE (to a domain with constraints)', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: true, scan: true, note: 'a coercion to a domain with constraints is checked by rewriting the table (traced on PostgreSQL 15, 18 and PGlite)' },
  ], 'ALTER TABLE t ALTER COLUMN a TYPE posint'),
  fact('alter-column-type-expression-index', 'ALTER TABLE ... ALTER COLUMN ... TYPE (binary coercible; an index on the column with an expression or a WHERE clause)', ALTER_TABLE, [
    {
      locks: [on(AE)],
      rewrite: false,
      scan: true,
      note: 'the table is not rewritten, but each index that uses the column and has an expression or a WHERE predicate is built again, reading the whole table: PostgreSQL keeps the storage of plain indexes only (indexcmds.c CheckIndexCompatible; traced on 15 and 18 for an expression index, a partial index on the column and a predicate that reads it)',
    },
  ], 'ALTER TABLE t ALTER COLUMN b TYPE varchar'),
  fact('alter-column-type-check', 'ALTER TABLE ... ALTER COLUMN ... TYPE (binary coercible; a validated CHECK constraint on the column)', ALTER_TABLE, [
    {
      locks: [on(AE)],
      rewrite: false,
      scan: true,
      note: 'the table is not rewritten, but each validated CHECK constraint that reads the column is added again and checked against every row; a NOT VALID one stays unchecked (traced on 15 and 18)',
    },
  ], 'ALTER TABLE t ALTER COLUMN b TYPE varchar'),
  fact('alter-column-type-generated-input', 'ALTER TABLE ... ALTER COLUMN ... TYPE (a column a generated column reads)', ALTER_TABLE, [
    { locks: [], rewrite: false, scan: false, unsupported: true, note: 'PostgreSQL refuses to change the type of a column a generated column reads: "cannot alter type of a column used by a generated column" (traced on 15 and 18, stored and virtual)' },
  ], 'ALTER TABLE t ALTER COLUMN a TYPE bigint'),
  fact('alter-column-type-view-input', 'ALTER TABLE ... ALTER COLUMN ... TYPE (a column a view or materialized view reads)', ALTER_TABLE, [
    { locks: [], rewrite: false, scan: false, unsupported: true, note: 'PostgreSQL refuses to change the type of a column a view or rule uses: "cannot alter type of a column used by a view or rule" (traced on 15 and 18)' },
  ], 'ALTER TABLE t ALTER COLUMN a TYPE bigint'),
  fact('alter-column-type-foreign-key', 'ALTER TABLE ... ALTER COLUMN ... TYPE (a column in a foreign key: the other table)', ALTER_TABLE, [
    {
      locks: [on(AE)],
      rewrite: false,
      scan: true,
      note: 'the foreign key is dropped and added again: the other table of the key (referenced or referencing) is locked ACCESS EXCLUSIVE and read in full while the key is validated again (traced, both directions)',
    },
  ], 'ALTER TABLE t ALTER COLUMN a TYPE bigint'),
  fact('set-default', 'ALTER TABLE ... ALTER COLUMN ... SET DEFAULT / DROP DEFAULT', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false, note: 'affects only future INSERTs' },
  ], 'ALTER TABLE t ALTER COLUMN a SET DEFAULT 0'),
  fact('set-not-null', 'ALTER TABLE ... ALTER COLUMN ... SET NOT NULL', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: true, note: 'scans the whole table under ACCESS EXCLUSIVE to prove no NULLs' },
  ], 'ALTER TABLE t ALTER COLUMN a SET NOT NULL'),
  fact('set-not-null-proven', 'ALTER TABLE ... ALTER COLUMN ... SET NOT NULL (a validated CHECK (col IS NOT NULL) exists)', ALTER_TABLE, [
    { until: 11, locks: [on(AE)], rewrite: false, scan: true, note: 'before PostgreSQL 12 the scan runs even with a validated CHECK' },
    { since: 12, locks: [on(AE)], rewrite: false, scan: false, note: 'PostgreSQL 12+ skips the scan when a validated CHECK proves no NULLs' },
  ], 'ALTER TABLE t ALTER COLUMN a SET NOT NULL'),
  fact('set-not-null-noop', 'ALTER TABLE ... ALTER COLUMN ... SET NOT NULL (column already NOT NULL)', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false, note: 'the column is already NOT NULL: nothing to verify' },
  ], 'ALTER TABLE t ALTER COLUMN id SET NOT NULL'),
  fact('drop-not-null', 'ALTER TABLE ... ALTER COLUMN ... DROP NOT NULL', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t ALTER COLUMN a DROP NOT NULL'),
  fact('set-statistics', 'ALTER TABLE ... ALTER COLUMN ... SET STATISTICS', ALTER_TABLE, [
    { locks: [on(SUE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t ALTER COLUMN a SET STATISTICS 500'),
  fact('set-column-options', 'ALTER TABLE ... ALTER COLUMN ... SET ( attribute_option ) / RESET', ALTER_TABLE, [
    { locks: [on(SUE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t ALTER COLUMN a SET (n_distinct = 100)'),
  fact('set-storage', 'ALTER TABLE ... ALTER COLUMN ... SET STORAGE', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false, note: 'applies to future writes only' },
  ], 'ALTER TABLE t ALTER COLUMN b SET STORAGE EXTERNAL'),
  fact('set-compression', 'ALTER TABLE ... ALTER COLUMN ... SET COMPRESSION', ALTER_TABLE, [
    { until: 13, locks: [], rewrite: false, scan: false, unsupported: true, note: 'SET COMPRESSION needs PostgreSQL 14' },
    { since: 14, locks: [on(AE)], rewrite: false, scan: false, note: 'applies to values written later; existing values keep their compression' },
  ], 'ALTER TABLE t ALTER COLUMN b SET COMPRESSION pglz'),
  fact('add-identity', 'ALTER TABLE ... ALTER COLUMN ... ADD GENERATED AS IDENTITY / SET / DROP IDENTITY', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t ALTER COLUMN a ADD GENERATED BY DEFAULT AS IDENTITY'),
  fact('set-expression', 'ALTER TABLE ... ALTER COLUMN ... SET EXPRESSION', ALTER_TABLE, [
    { until: 16, locks: [], rewrite: false, scan: false, unsupported: true, note: 'SET EXPRESSION needs PostgreSQL 17' },
    { since: 17, locks: [on(AE)], rewrite: true, scan: true },
  ], 'ALTER TABLE t ALTER COLUMN g SET EXPRESSION AS (a + 2)'),
  fact('drop-expression', 'ALTER TABLE ... ALTER COLUMN ... DROP EXPRESSION', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t ALTER COLUMN g DROP EXPRESSION'),

  // ---- constraints -----------------------------------------------------------
  fact('add-check', 'ALTER TABLE ... ADD CONSTRAINT ... CHECK (...)', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: true, note: 'verifies every row while holding ACCESS EXCLUSIVE' },
  ], 'ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0)'),
  fact('add-check-not-valid', 'ALTER TABLE ... ADD CONSTRAINT ... CHECK (...) NOT VALID', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false, note: 'checked for new rows only; validate later' },
  ], 'ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0) NOT VALID'),
  fact('add-not-null-constraint', 'ALTER TABLE ... ADD CONSTRAINT ... NOT NULL col', ALTER_TABLE, [
    { until: 17, locks: [], rewrite: false, scan: false, unsupported: true, note: 'named NOT NULL constraints need PostgreSQL 18' },
    { since: 18, locks: [on(AE)], rewrite: false, scan: true },
  ], 'ALTER TABLE t ADD CONSTRAINT t_a_not_null NOT NULL a'),
  fact('add-not-null-constraint-not-valid', 'ALTER TABLE ... ADD CONSTRAINT ... NOT NULL col NOT VALID', ALTER_TABLE, [
    { until: 17, locks: [], rewrite: false, scan: false, unsupported: true, note: 'NOT NULL ... NOT VALID needs PostgreSQL 18' },
    { since: 18, locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t ADD CONSTRAINT t_a_not_null NOT NULL a NOT VALID'),
  fact('add-foreign-key', 'ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY', ALTER_TABLE, [
    { locks: [on(SRE), on(SRE, 'referenced-table')], rewrite: false, scan: true, note: 'validates every row; writes to both tables wait' },
  ], 'ALTER TABLE t ADD CONSTRAINT t_a_fkey FOREIGN KEY (a) REFERENCES p (id)'),
  fact('add-foreign-key-not-valid', 'ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID', ALTER_TABLE, [
    { locks: [on(SRE), on(SRE, 'referenced-table')], rewrite: false, scan: false },
  ], 'ALTER TABLE t ADD CONSTRAINT t_a_fkey FOREIGN KEY (a) REFERENCES p (id) NOT VALID'),
  fact('validate-constraint', 'ALTER TABLE ... VALIDATE CONSTRAINT', ALTER_TABLE, [
    { locks: [on(SUE)], rewrite: false, scan: true, note: 'scans under SHARE UPDATE EXCLUSIVE: reads and writes continue' },
  ], 'ALTER TABLE t VALIDATE CONSTRAINT t_a_check'),
  fact('validate-foreign-key', 'ALTER TABLE ... VALIDATE CONSTRAINT (foreign key)', ALTER_TABLE, [
    { locks: [on(SUE), on(RS, 'referenced-table')], rewrite: false, scan: true },
  ], 'ALTER TABLE t VALIDATE CONSTRAINT t_a_fkey'),
  fact('add-unique', 'ALTER TABLE ... ADD CONSTRAINT ... UNIQUE / PRIMARY KEY', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: true, note: 'builds the unique index while holding ACCESS EXCLUSIVE' },
  ], 'ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a)'),
  fact('add-primary-key-nullable', 'ALTER TABLE ... ADD PRIMARY KEY (on nullable columns)', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: true, note: 'also sets NOT NULL on the key columns, scanning the table' },
  ], 'ALTER TABLE t ADD PRIMARY KEY (a)'),
  fact('add-exclusion', 'ALTER TABLE ... ADD CONSTRAINT ... EXCLUDE', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: true },
  ], 'ALTER TABLE t ADD CONSTRAINT t_a_excl EXCLUDE USING btree (a WITH =)'),
  fact('add-constraint-using-index', 'ALTER TABLE ... ADD CONSTRAINT ... UNIQUE / PRIMARY KEY USING INDEX', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false, note: 'attaches an existing index: catalog only' },
  ], 'ALTER TABLE t ADD CONSTRAINT t_b_key UNIQUE USING INDEX t_b_uidx'),
  fact('alter-constraint', 'ALTER TABLE ... ALTER CONSTRAINT ... [NOT] DEFERRABLE / INITIALLY ...', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false, note: 'catalog only; the referenced table of a foreign key is not locked' },
  ], 'ALTER TABLE t ALTER CONSTRAINT t_a_fkey DEFERRABLE INITIALLY DEFERRED'),
  fact('alter-constraint-not-enforced', 'ALTER TABLE ... ALTER CONSTRAINT ... NOT ENFORCED (foreign key)', ALTER_TABLE, [
    { until: 17, locks: [], rewrite: false, scan: false, unsupported: true, note: 'NOT ENFORCED needs PostgreSQL 18' },
    { since: 18, locks: [on(AE), on(AE, 'referenced-table')], rewrite: false, scan: false, note: "drops the foreign key's triggers on both tables: reads of the referenced table wait too" },
  ], 'ALTER TABLE t ALTER CONSTRAINT t_a_fkey NOT ENFORCED'),
  fact('alter-constraint-enforced', 'ALTER TABLE ... ALTER CONSTRAINT ... ENFORCED (foreign key)', ALTER_TABLE, [
    { until: 17, locks: [], rewrite: false, scan: false, unsupported: true, note: 'ENFORCED needs PostgreSQL 18' },
    { since: 18, locks: [on(AE), on(SRE, 'referenced-table')], rewrite: false, scan: true, note: 'validates every row against the referenced table (both are scanned) while holding ACCESS EXCLUSIVE' },
  ], 'ALTER TABLE t ALTER CONSTRAINT t_a_fkey ENFORCED'),
  fact('drop-constraint', 'ALTER TABLE ... DROP CONSTRAINT', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t DROP CONSTRAINT t_a_check'),
  fact('drop-foreign-key', 'ALTER TABLE ... DROP CONSTRAINT (foreign key)', ALTER_TABLE, [
    { locks: [on(AE), on(AE, 'referenced-table')], rewrite: false, scan: false, note: 'the referenced table is locked ACCESS EXCLUSIVE too, to drop its RI triggers: reads of it wait as well' },
  ], 'ALTER TABLE t DROP CONSTRAINT t_a_fkey'),

  // ---- renames, ownership, misc ALTER TABLE -----------------------------------
  fact('rename-column', 'ALTER TABLE ... RENAME COLUMN', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t RENAME COLUMN b TO b2'),
  fact('rename-table', 'ALTER TABLE ... RENAME TO', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t RENAME TO t2'),
  fact('rename-constraint', 'ALTER TABLE ... RENAME CONSTRAINT', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t RENAME CONSTRAINT t_a_check TO t_a_check2'),
  fact('rename-constraint-index', 'ALTER TABLE ... RENAME CONSTRAINT (PRIMARY KEY / UNIQUE / EXCLUDE)', ALTER_TABLE, [
    { locks: [on(AE), on(SUE, 'index')], rewrite: false, scan: false, note: 'renames the backing index too' },
  ], 'ALTER TABLE t RENAME CONSTRAINT t_pkey TO t_pkey2'),
  fact('set-schema', 'ALTER TABLE ... SET SCHEMA', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t SET SCHEMA s2'),
  fact('owner-to', 'ALTER TABLE ... OWNER TO', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t OWNER TO CURRENT_USER'),
  fact('set-storage-parameters', 'ALTER TABLE ... SET ( fillfactor | autovacuum_* | toast.* | parallel_workers ... )', ALTER_TABLE, [
    { locks: [on(SUE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t SET (fillfactor = 90)'),
  fact('set-logged', 'ALTER TABLE ... SET LOGGED / SET UNLOGGED', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: true, scan: true },
  ], 'ALTER TABLE t SET UNLOGGED'),
  fact('set-logged-noop', 'ALTER TABLE ... SET LOGGED / SET UNLOGGED (the table already is)', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false, note: 'the table already has that persistence: the lock is taken, nothing is copied (traced)' },
  ], 'ALTER TABLE t SET LOGGED'),
  fact('set-tablespace', 'ALTER TABLE ... SET TABLESPACE', ALTER_TABLE, [
    {
      locks: [on(AE)],
      rewrite: true,
      scan: false,
      note: 'copies the files block by block (new relfilenode), no scan: on PostgreSQL 15 and 18 pg_stat_get_xact_numscans, tuples_returned and blocks_fetched stay 0; the time grows with the table size',
    },
  ]),
  fact('set-access-method', 'ALTER TABLE ... SET ACCESS METHOD', ALTER_TABLE, [
    { until: 14, locks: [], rewrite: false, scan: false, unsupported: true, note: 'SET ACCESS METHOD needs PostgreSQL 15' },
    { since: 15, locks: [on(AE)], rewrite: true, scan: true },
  ], 'ALTER TABLE t SET ACCESS METHOD heap2'),
  fact('cluster-on', 'ALTER TABLE ... CLUSTER ON / SET WITHOUT CLUSTER', ALTER_TABLE, [
    { locks: [on(SUE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t CLUSTER ON t_b_idx'),
  fact('trigger-enable', 'ALTER TABLE ... ENABLE / DISABLE TRIGGER', ALTER_TABLE, [
    { locks: [on(SRE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t DISABLE TRIGGER t_trg'),
  fact('rule-enable', 'ALTER TABLE ... ENABLE / DISABLE RULE', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t DISABLE RULE t_r'),
  fact('row-security', 'ALTER TABLE ... ENABLE / DISABLE ROW LEVEL SECURITY', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t ENABLE ROW LEVEL SECURITY'),
  fact('row-security-force', 'ALTER TABLE ... FORCE / NO FORCE ROW LEVEL SECURITY', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false, note: "the table's owner becomes subject to its policies too" },
  ], 'ALTER TABLE t FORCE ROW LEVEL SECURITY'),
  fact('replica-identity', 'ALTER TABLE ... REPLICA IDENTITY DEFAULT / FULL / NOTHING', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER TABLE t REPLICA IDENTITY FULL'),
  fact('replica-identity-index', 'ALTER TABLE ... REPLICA IDENTITY USING INDEX', ALTER_TABLE, [
    { locks: [on(AE), on(SHARE, 'index')], rewrite: false, scan: false },
  ], 'ALTER TABLE t REPLICA IDENTITY USING INDEX t_pkey'),
  fact('inherit', 'ALTER TABLE ... INHERIT', ALTER_TABLE, [
    { locks: [on(AE), on(SUE, 'parent')], rewrite: false, scan: false, note: "catalog only (the child's columns and constraints are compared, no rows are read); SHARE UPDATE EXCLUSIVE on the new parent" },
  ], 'ALTER TABLE t INHERIT t_parent'),
  fact('no-inherit', 'ALTER TABLE ... NO INHERIT', ALTER_TABLE, [
    { locks: [on(AE), on('ACCESS SHARE', 'parent')], rewrite: false, scan: false, note: 'catalog only; ACCESS SHARE on the parent' },
  ], 'ALTER TABLE t NO INHERIT t_parent'),
  fact('alter-table-other', 'ALTER TABLE (other subcommands)', ALTER_TABLE, [
    { locks: [on(AE)], rewrite: false, scan: false, note: 'assumed ACCESS EXCLUSIVE, the level of most ALTER TABLE forms' },
  ]),

  // ---- partitions ------------------------------------------------------------
  fact('attach-partition', 'ALTER TABLE ... ATTACH PARTITION', ALTER_TABLE, [
    { until: 11, locks: [on(AE, 'parent'), on(AE, 'partition')], rewrite: false, scan: true, note: 'scans the partition to verify the bound' },
    { since: 12, locks: [on(SUE, 'parent'), on(AE, 'partition')], rewrite: false, scan: true, note: 'scans the partition to verify the bound unless a validated CHECK implies it' },
  ], 'ALTER TABLE pt ATTACH PARTITION pt_1 FOR VALUES FROM (0) TO (100)'),
  fact('attach-partition-default', 'ALTER TABLE ... ATTACH PARTITION (parent has a DEFAULT partition)', ALTER_TABLE, [
    { locks: [on(AE, 'default-partition')], rewrite: false, scan: true, note: 'the default partition is scanned for rows that now belong to the new partition' },
  ], 'ALTER TABLE pt ATTACH PARTITION pt_1 FOR VALUES FROM (0) TO (100)'),
  fact('detach-partition', 'ALTER TABLE ... DETACH PARTITION', ALTER_TABLE, [
    { locks: [on(AE, 'parent'), on(AE, 'partition')], rewrite: false, scan: false },
  ], 'ALTER TABLE pt DETACH PARTITION pt_1'),
  fact('detach-partition-default', 'ALTER TABLE ... DETACH PARTITION (the parent has a DEFAULT partition)', ALTER_TABLE, [
    {
      locks: [on(AE, 'default-partition')],
      rewrite: false,
      scan: false,
      note: 'the DEFAULT partition is locked ACCESS EXCLUSIVE too (its implicit partition constraint changes; traced), so it is unreadable until commit; not scanned',
    },
  ], 'ALTER TABLE pt DETACH PARTITION pt_1'),
  fact('detach-partition-concurrently', 'ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY', ALTER_TABLE, [
    { until: 13, locks: [], rewrite: false, scan: false, unsupported: true, note: 'DETACH PARTITION CONCURRENTLY needs PostgreSQL 14' },
    { since: 14, locks: [on(SUE, 'parent'), on(AE, 'partition')], rewrite: false, scan: false, transactional: false },
  ], 'ALTER TABLE pt DETACH PARTITION pt_1 CONCURRENTLY'),
  fact('create-table-references', 'CREATE TABLE ... REFERENCES (foreign key to an existing table)', 'https://www.postgresql.org/docs/current/sql-createtable.html', [
    { locks: [on(SRE, 'referenced-table')], rewrite: false, scan: false, note: 'writes to the referenced table wait while the foreign key triggers are added' },
  ], 'CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p (id))'),
  fact('create-partition-of', 'CREATE TABLE ... PARTITION OF', 'https://www.postgresql.org/docs/current/sql-createtable.html', [
    { locks: [on(AE, 'parent')], rewrite: false, scan: false, note: 'ACCESS EXCLUSIVE on the partitioned table (ATTACH PARTITION needs only SHARE UPDATE EXCLUSIVE there); a foreign key the parent has takes SHARE ROW EXCLUSIVE on its referenced table (create-table-references)' },
  ], 'CREATE TABLE pt_2 PARTITION OF pt FOR VALUES FROM (100) TO (200)'),
  fact('create-partition-of-default', 'CREATE TABLE ... PARTITION OF (parent has a DEFAULT partition)', 'https://www.postgresql.org/docs/current/sql-createtable.html', [
    { locks: [on(AE, 'default-partition')], rewrite: false, scan: true, note: 'the default partition is scanned, under ACCESS EXCLUSIVE, for rows that belong to the new partition' },
  ], 'CREATE TABLE pt_2 PARTITION OF pt FOR VALUES FROM (100) TO (200)'),

  // ---- whole-table maintenance -----------------------------------------------
  fact('vacuum-full', 'VACUUM FULL', 'https://www.postgresql.org/docs/current/sql-vacuum.html', [
    { locks: [on(AE)], rewrite: true, scan: true, transactional: false },
  ], 'VACUUM FULL t'),
  fact('vacuum', 'VACUUM / ANALYZE', 'https://www.postgresql.org/docs/current/sql-vacuum.html', [
    {
      locks: [on(SUE)],
      rewrite: false,
      scan: false,
      transactional: false,
      note:
        'VACUUM cannot run in a transaction block (ANALYZE alone can). It reads every page the visibility map does not mark all-visible, block by block, ' +
        'but returns no rows: the servers count no scan (0 scans, 0 rows, every block fetched, on PGlite and PostgreSQL 15-18). Its SHARE UPDATE EXCLUSIVE blocks no reads or writes.',
    },
  ], 'VACUUM t'),
  fact('analyze', 'ANALYZE', 'https://www.postgresql.org/docs/current/sql-analyze.html', [
    {
      locks: [on(SUE)],
      rewrite: false,
      scan: false,
      note: 'reads a random sample of at most 300 x default_statistics_target pages (every page of a smaller table), not a scan: on PostgreSQL 15-18 and PGlite pg_stat_get_xact_numscans and tuples_returned stay 0 while blocks are fetched; its time stops growing with the table past the sample size',
    },
  ], 'ANALYZE t'),
  fact('cluster', 'CLUSTER', 'https://www.postgresql.org/docs/current/sql-cluster.html', [
    { locks: [on(AE)], rewrite: true, scan: true },
  ], 'CLUSTER t USING t_b_idx'),
  fact('truncate', 'TRUNCATE', 'https://www.postgresql.org/docs/current/sql-truncate.html', [
    { locks: [on(AE)], rewrite: false, scan: false, note: 'removes all rows' },
  ], 'TRUNCATE t'),
  fact('refresh-materialized-view', 'REFRESH MATERIALIZED VIEW', 'https://www.postgresql.org/docs/current/sql-refreshmaterializedview.html', [
    { locks: [on(AE)], rewrite: true, scan: true, note: 'reads of the view wait for the whole refresh' },
  ], 'REFRESH MATERIALIZED VIEW mv'),
  fact('refresh-materialized-view-with-no-data', 'REFRESH MATERIALIZED VIEW ... WITH NO DATA', 'https://www.postgresql.org/docs/current/sql-refreshmaterializedview.html', [
    { locks: [on(AE)], rewrite: true, scan: false, emptyRewrite: true, note: 'the view gets new, empty storage (nothing is read or copied) and is left unpopulated: reading it fails until the next REFRESH' },
  ], 'REFRESH MATERIALIZED VIEW mv WITH NO DATA'),
  fact('create-materialized-view', 'CREATE MATERIALIZED VIEW (WITH DATA)', 'https://www.postgresql.org/docs/current/sql-creatematerializedview.html', [
    { locks: [], rewrite: false, scan: true, note: "runs the query, reading the tables it names under ACCESS SHARE (only ACCESS EXCLUSIVE waits)" },
  ], 'CREATE MATERIALIZED VIEW mv2 AS SELECT id, a FROM t'),
  fact('create-materialized-view-no-data', 'CREATE MATERIALIZED VIEW ... WITH NO DATA', 'https://www.postgresql.org/docs/current/sql-creatematerializedview.html', [
    { locks: [], rewrite: false, scan: false, note: 'reads nothing; the view is unpopulated and reading it fails until REFRESH MATERIALIZED VIEW' },
  ], 'CREATE MATERIALIZED VIEW mv2 AS SELECT id, a FROM t WITH NO DATA'),
  fact('refresh-materialized-view-concurrently', 'REFRESH MATERIALIZED VIEW CONCURRENTLY', 'https://www.postgresql.org/docs/current/sql-refreshmaterializedview.html', [
    { locks: [on(EXCL)], rewrite: false, scan: true, note: 'reads continue; needs a unique index on the view' },
  ], 'REFRESH MATERIALIZED VIEW CONCURRENTLY mv'),
  fact('lock-table', 'LOCK TABLE [IN ACCESS EXCLUSIVE MODE]', 'https://www.postgresql.org/docs/current/sql-lock.html', [
    { locks: [on(AE)], rewrite: false, scan: false, note: 'ACCESS EXCLUSIVE is the default mode; each mode has its fact (lock-table-<mode>); a view passes the lock on to the tables it reads, a partitioned or inheritance parent to its children (unless ONLY)' },
  ], 'LOCK TABLE t'),
  fact('lock-table-access-share', 'LOCK TABLE ... IN ACCESS SHARE MODE', 'https://www.postgresql.org/docs/current/sql-lock.html', [
    { locks: [on('ACCESS SHARE')], rewrite: false, scan: false },
  ], 'LOCK TABLE t IN ACCESS SHARE MODE'),
  fact('lock-table-row-share', 'LOCK TABLE ... IN ROW SHARE MODE', 'https://www.postgresql.org/docs/current/sql-lock.html', [
    { locks: [on('ROW SHARE')], rewrite: false, scan: false },
  ], 'LOCK TABLE t IN ROW SHARE MODE'),
  fact('lock-table-row-exclusive', 'LOCK TABLE ... IN ROW EXCLUSIVE MODE', 'https://www.postgresql.org/docs/current/sql-lock.html', [
    { locks: [on('ROW EXCLUSIVE')], rewrite: false, scan: false },
  ], 'LOCK TABLE t IN ROW EXCLUSIVE MODE'),
  fact('lock-table-share-update-exclusive', 'LOCK TABLE ... IN SHARE UPDATE EXCLUSIVE MODE', 'https://www.postgresql.org/docs/current/sql-lock.html', [
    { locks: [on('SHARE UPDATE EXCLUSIVE')], rewrite: false, scan: false },
  ], 'LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE'),
  fact('lock-table-share', 'LOCK TABLE ... IN SHARE MODE', 'https://www.postgresql.org/docs/current/sql-lock.html', [
    { locks: [on('SHARE')], rewrite: false, scan: false },
  ], 'LOCK TABLE t IN SHARE MODE'),
  fact('lock-table-share-row-exclusive', 'LOCK TABLE ... IN SHARE ROW EXCLUSIVE MODE', 'https://www.postgresql.org/docs/current/sql-lock.html', [
    { locks: [on('SHARE ROW EXCLUSIVE')], rewrite: false, scan: false },
  ], 'LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE'),
  fact('lock-table-exclusive', 'LOCK TABLE ... IN EXCLUSIVE MODE', 'https://www.postgresql.org/docs/current/sql-lock.html', [
    { locks: [on('EXCLUSIVE')], rewrite: false, scan: false },
  ], 'LOCK TABLE t IN EXCLUSIVE MODE'),

  // ---- drops -----------------------------------------------------------------
  fact('drop-table', 'DROP TABLE', 'https://www.postgresql.org/docs/current/sql-droptable.html', [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'DROP TABLE t'),
  fact('drop-table-with-foreign-keys', 'DROP TABLE (table with foreign keys)', 'https://www.postgresql.org/docs/current/sql-droptable.html', [
    { locks: [on(AE), on(AE, 'referenced-table')], rewrite: false, scan: false, note: "dropping the table removes its foreign key triggers from the referenced table" },
  ], 'DROP TABLE t'),
  fact('drop-view', 'DROP VIEW / DROP MATERIALIZED VIEW', 'https://www.postgresql.org/docs/current/sql-dropview.html', [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'DROP VIEW v'),
  fact('drop-table-cascade', 'DROP TABLE ... CASCADE', 'https://www.postgresql.org/docs/current/sql-droptable.html', [
    { locks: [on(AE), on(AE, 'dependent')], rewrite: false, scan: false, note: 'also drops the views over it and the foreign keys that reference it, with ACCESS EXCLUSIVE on each view and on each referencing table' },
  ], 'DROP TABLE t CASCADE'),
  fact('drop-view-cascade', 'DROP VIEW / DROP MATERIALIZED VIEW ... CASCADE', 'https://www.postgresql.org/docs/current/sql-dropview.html', [
    { locks: [on(AE), on(AE, 'dependent')], rewrite: false, scan: false, note: 'also drops the views over it, with ACCESS EXCLUSIVE on each' },
  ], 'DROP VIEW v CASCADE'),
  fact('drop-schema', 'DROP SCHEMA (empty)', 'https://www.postgresql.org/docs/current/sql-dropschema.html', [
    { locks: [], rewrite: false, scan: false, note: 'fails unless the schema is empty; locks no relation' },
  ], 'DROP SCHEMA s2'),
  fact('drop-schema-cascade', 'DROP SCHEMA ... CASCADE', 'https://www.postgresql.org/docs/current/sql-dropschema.html', [
    { locks: [on(AE, 'dependent')], rewrite: false, scan: false, note: 'drops every table, view, sequence, type and function in the schema and everything outside it that depends on them, with ACCESS EXCLUSIVE on each relation' },
  ], 'DROP SCHEMA s2 CASCADE'),
  fact('drop-function', 'DROP FUNCTION / PROCEDURE / ROUTINE', 'https://www.postgresql.org/docs/current/sql-dropfunction.html', [
    { locks: [], rewrite: false, scan: false, note: 'fails while a default, trigger, view or constraint uses it; locks no relation' },
  ], 'DROP FUNCTION f()'),
  fact('drop-function-cascade', 'DROP FUNCTION ... CASCADE', 'https://www.postgresql.org/docs/current/sql-dropfunction.html', [
    { locks: [on(AE, 'dependent')], rewrite: false, scan: false, note: 'also drops the column defaults, triggers, views and constraints that use it, with ACCESS EXCLUSIVE on each table concerned' },
  ], 'DROP FUNCTION f() CASCADE'),
  fact('drop-type', 'DROP TYPE / DROP DOMAIN', 'https://www.postgresql.org/docs/current/sql-droptype.html', [
    { locks: [], rewrite: false, scan: false, note: 'fails while a column or function uses it; locks no relation' },
  ], 'DROP TYPE e'),
  fact('drop-type-cascade', 'DROP TYPE / DROP DOMAIN ... CASCADE', 'https://www.postgresql.org/docs/current/sql-droptype.html', [
    { locks: [on(AE, 'dependent')], rewrite: false, scan: false, note: 'also drops every column of the type (its data is gone) and the functions using it, with ACCESS EXCLUSIVE on each table concerned' },
  ], 'DROP TYPE e CASCADE'),
  fact('drop-sequence', 'DROP SEQUENCE', 'https://www.postgresql.org/docs/current/sql-dropsequence.html', [
    { locks: [on(AE)], rewrite: false, scan: false, note: 'fails while a column default uses it' },
  ], 'DROP SEQUENCE s'),
  fact('drop-sequence-cascade', 'DROP SEQUENCE ... CASCADE', 'https://www.postgresql.org/docs/current/sql-dropsequence.html', [
    { locks: [on(AE), on(AE, 'dependent')], rewrite: false, scan: false, note: 'also drops the column defaults that call nextval() on it, with ACCESS EXCLUSIVE on each table concerned' },
  ], 'DROP SEQUENCE s CASCADE'),

  // ---- triggers, rules, policies -------------------------------------------------
  fact('create-trigger', 'CREATE TRIGGER', 'https://www.postgresql.org/docs/current/sql-createtrigger.html', [
    { locks: [on(SRE)], rewrite: false, scan: false },
  ], 'CREATE TRIGGER t_trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg_fn()'),
  fact('create-or-replace-trigger', 'CREATE OR REPLACE TRIGGER', 'https://www.postgresql.org/docs/current/sql-createtrigger.html', [
    { until: 13, locks: [], rewrite: false, scan: false, unsupported: true, note: 'CREATE OR REPLACE TRIGGER needs PostgreSQL 14' },
    { since: 14, locks: [on(SRE)], rewrite: false, scan: false },
  ], 'CREATE OR REPLACE TRIGGER t_trg BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION trg_fn()'),
  fact('drop-trigger', 'DROP TRIGGER', 'https://www.postgresql.org/docs/current/sql-droptrigger.html', [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'DROP TRIGGER t_trg ON t'),
  fact('alter-trigger-rename', 'ALTER TRIGGER ... RENAME TO', 'https://www.postgresql.org/docs/current/sql-altertrigger.html', [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER TRIGGER t_trg ON t RENAME TO t_trg2'),
  fact('create-rule', 'CREATE RULE', 'https://www.postgresql.org/docs/current/sql-createrule.html', [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'CREATE RULE t_r AS ON INSERT TO t DO ALSO NOTIFY t_changed'),
  fact('create-policy', 'CREATE POLICY', 'https://www.postgresql.org/docs/current/sql-createpolicy.html', [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'CREATE POLICY t_p ON t USING (true)'),
  fact('alter-policy', 'ALTER POLICY', 'https://www.postgresql.org/docs/current/sql-alterpolicy.html', [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'ALTER POLICY t_p ON t USING (a > 0)'),
  fact('drop-policy', 'DROP POLICY', 'https://www.postgresql.org/docs/current/sql-droppolicy.html', [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'DROP POLICY t_p ON t'),
  fact('grant-table', 'GRANT / REVOKE ... ON TABLE | SEQUENCE | ALL TABLES IN SCHEMA', 'https://www.postgresql.org/docs/current/sql-grant.html', [
    { until: 17, locks: [], rewrite: false, scan: false, note: 'catalog only; no relation lock before PostgreSQL 18' },
    { since: 18, locks: [on('ACCESS SHARE')], rewrite: false, scan: false, note: 'catalog only; PostgreSQL 18 takes ACCESS SHARE on each relation (traced: none on 15, 16, 17)' },
  ], 'REVOKE SELECT ON t FROM PUBLIC'),
  fact('grant-object', 'GRANT / REVOKE ... ON SCHEMA | FUNCTION | TYPE | DATABASE ...', 'https://www.postgresql.org/docs/current/sql-grant.html', [
    { locks: [], rewrite: false, scan: false, note: 'catalog only; locks no relation' },
  ], 'REVOKE EXECUTE ON FUNCTION trg_fn() FROM PUBLIC'),
  fact('grant-role', 'GRANT / REVOKE role membership', 'https://www.postgresql.org/docs/current/sql-grant.html', [
    { locks: [], rewrite: false, scan: false, note: 'catalog only; locks no relation' },
  ], 'REVOKE pg_monitor FROM CURRENT_USER'),
  fact('comment-on', 'COMMENT ON TABLE / COLUMN', 'https://www.postgresql.org/docs/current/sql-comment.html', [
    { locks: [on(SUE)], rewrite: false, scan: false },
  ], "COMMENT ON TABLE t IS 'x'"),
  fact('create-view', 'CREATE OR REPLACE VIEW (existing view)', 'https://www.postgresql.org/docs/current/sql-createview.html', [
    { locks: [on(AE)], rewrite: false, scan: false },
  ], 'CREATE OR REPLACE VIEW v AS SELECT id, a FROM t'),

  // ---- types -----------------------------------------------------------------
  fact('enum-add-value', 'ALTER TYPE ... ADD VALUE', 'https://www.postgresql.org/docs/current/sql-altertype.html', [
    { until: 11, locks: [], rewrite: false, scan: false, transactional: false, note: 'cannot run inside a transaction block before PostgreSQL 12' },
    { since: 12, locks: [], rewrite: false, scan: false, note: 'the new value cannot be used until the transaction commits' },
  ], "ALTER TYPE e ADD VALUE 'b'"),
  fact('enum-add-value-before', 'ALTER TYPE ... ADD VALUE ... BEFORE | AFTER', 'https://www.postgresql.org/docs/current/sql-altertype.html', [
    { until: 11, locks: [], rewrite: false, scan: false, transactional: false, note: 'cannot run inside a transaction block before PostgreSQL 12' },
    { since: 12, locks: [], rewrite: false, scan: false, note: 'locks no relation; may renumber the sort order of the existing values, and comparisons with a value placed before the end can be slower' },
  ], "ALTER TYPE e ADD VALUE 'b' BEFORE 'a'"),
  fact('enum-rename-value', 'ALTER TYPE ... RENAME VALUE', 'https://www.postgresql.org/docs/current/sql-altertype.html', [
    { locks: [], rewrite: false, scan: false, note: 'catalog only, locks no relation; every stored value takes the new label at once' },
  ], "ALTER TYPE e RENAME VALUE 'a' TO 'a2'"),
  fact('alter-domain-add-constraint', 'ALTER DOMAIN ... ADD CONSTRAINT (CHECK, validated)', 'https://www.postgresql.org/docs/current/sql-alterdomain.html', [
    { locks: [on(SHARE, 'using-table')], rewrite: false, scan: true, note: 'scans every table with a column of the domain, each under SHARE (writes wait, reads continue)' },
  ], 'ALTER DOMAIN posint ADD CONSTRAINT posint_check CHECK (VALUE > 0)'),
  fact('alter-domain-add-constraint-not-valid', 'ALTER DOMAIN ... ADD CONSTRAINT ... NOT VALID', 'https://www.postgresql.org/docs/current/sql-alterdomain.html', [
    { locks: [], rewrite: false, scan: false, note: 'checked for new and updated values only; locks no relation' },
  ], 'ALTER DOMAIN posint ADD CONSTRAINT posint_check CHECK (VALUE > 0) NOT VALID'),
  fact('alter-domain-validate-constraint', 'ALTER DOMAIN ... VALIDATE CONSTRAINT', 'https://www.postgresql.org/docs/current/sql-alterdomain.html', [
    { locks: [on(SHARE, 'using-table')], rewrite: false, scan: true, note: 'unlike VALIDATE on a table (SHARE UPDATE EXCLUSIVE), it scans every table with a column of the domain under SHARE: writes wait (PostgreSQL 15-18, PGlite)' },
  ], 'ALTER DOMAIN posint VALIDATE CONSTRAINT posint_check'),
  fact('alter-domain-set-not-null', 'ALTER DOMAIN ... SET NOT NULL', 'https://www.postgresql.org/docs/current/sql-alterdomain.html', [
    { locks: [on(SHARE, 'using-table')], rewrite: false, scan: true, note: 'scans every table with a column of the domain under SHARE for NULLs' },
  ], 'ALTER DOMAIN posint SET NOT NULL'),
  fact('alter-domain-other', 'ALTER DOMAIN ... DROP CONSTRAINT | DROP NOT NULL | SET / DROP DEFAULT | RENAME | OWNER', 'https://www.postgresql.org/docs/current/sql-alterdomain.html', [
    { locks: [], rewrite: false, scan: false, note: 'catalog only; locks no relation' },
  ], 'ALTER DOMAIN posint SET DEFAULT 1'),

  // ---- data changes ------------------------------------------------------------
  fact('update', 'UPDATE', 'https://www.postgresql.org/docs/current/sql-update.html', [
    {
      locks: [on(RE), on(RS, 'referenced-table')],
      rewrite: false,
      scan: true,
      note: 'row locks on every updated row until commit; each foreign key of the table is checked (FOR KEY SHARE on the referenced row, so ROW SHARE on the referenced table) when its columns change or the row was written by this transaction (traced: after a rewrite in the same transaction every row is)',
    },
  ], 'UPDATE t SET a = 1'),
  fact('delete', 'DELETE', 'https://www.postgresql.org/docs/current/sql-delete.html', [
    { locks: [on(RE)], rewrite: false, scan: true, note: 'row locks on every deleted row until commit' },
  ], 'DELETE FROM t'),
  fact('insert-select', 'INSERT ... SELECT', 'https://www.postgresql.org/docs/current/sql-insert.html', [
    { locks: [on(RE), on(RS, 'referenced-table')], rewrite: false, scan: true, note: 'each foreign key of the table is checked row by row (ROW SHARE on the referenced table)' },
  ], 'INSERT INTO t (id, a, b) SELECT id + 1000, a, b FROM t'),
  fact('insert', 'INSERT ... VALUES', 'https://www.postgresql.org/docs/current/sql-insert.html', [
    { locks: [on(RE), on(RS, 'referenced-table')], rewrite: false, scan: false, note: 'each foreign key of the table is checked (ROW SHARE on the referenced table, its key probed)' },
  ], "INSERT INTO t (id, a, b) VALUES (1, 1, 'x')"),
];

export const LOCKING_DOCS = LOCKING;

const BY_ID = new Map(LOCK_FACTS.map((f) => [f.id, f]));

export type FactId = string;

export interface ResolvedFact {
  id: string;
  statement: string;
  docs: string;
  locks: LockEffect[];
  rewrite: boolean;
  scan: boolean;
  failsOnRows: boolean;
  emptyRewrite: boolean;
  transactional: boolean;
  unsupported: boolean;
  note: string | null;
}

/** The fact for a statement kind on a given PostgreSQL major version. */
/** Resolved facts by version and id: the classifier asks for one per effect (never mutated). */
const RESOLVED = new Map<number, Map<string, ResolvedFact>>();

export function lockFact(id: FactId, pgVersion: number): ResolvedFact {
  let byId = RESOLVED.get(pgVersion);
  if (!byId) RESOLVED.set(pgVersion, (byId = new Map()));
  let fact = byId.get(id);
  if (!fact) byId.set(id, (fact = resolveFact(id, pgVersion)));
  return fact;
}

function resolveFact(id: FactId, pgVersion: number): ResolvedFact {
  const f = BY_ID.get(id);
  if (!f) throw new Error(`internal: no lock fact "${id}"`);
  const v =
    f.variants.find((v) => (v.since === undefined || pgVersion >= v.since) && (v.until === undefined || pgVersion <= v.until)) ??
    f.variants[f.variants.length - 1]!;
  return {
    id: f.id,
    statement: f.statement,
    docs: f.docs,
    locks: v.locks,
    rewrite: v.rewrite,
    scan: v.scan,
    failsOnRows: v.failsOnRows ?? false,
    emptyRewrite: v.emptyRewrite ?? false,
    transactional: v.transactional ?? true,
    unsupported: v.unsupported ?? false,
    note: v.note ?? null,
  };
}

export function hasLockFact(id: string): boolean {
  return BY_ID.has(id);
}
