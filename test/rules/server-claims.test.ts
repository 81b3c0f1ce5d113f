/**
 * What the new rules and their suggestions claim about PostgreSQL, checked on the test
 * servers (15 and 18): what DROP ... CASCADE removes (against dropReach), that rows vanish
 * under row security without a policy, that CREATE OR REPLACE VIEW refuses dropped, renamed or
 * reordered columns (and the output column names replay derives), that an old enum label fails
 * after RENAME VALUE, that an unpopulated materialized view cannot be read, that a revoked
 * privilege fails, and that the suggested SQL runs and does what its comment says.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_RULES } from '../../rules/index.js';
import { lintSources } from '../../src/lint/engine.js';
import { SchemaModel } from '../../src/schema/model.js';
import { dropReach, outputColumns, replayStatement } from '../../src/schema/replay.js';
import { parseSqlFile } from '../../src/sql/parse.js';
import { loadParser } from '../../src/sql/parser.js';
import { availableMajors, withDatabase, type PgMajor } from '../support/db.js';

beforeAll(() => loadParser());

function modelOf(sql: string): SchemaModel {
  const m = new SchemaModel();
  for (const s of parseSqlFile('setup.sql', sql).statements) replayStatement(m, s, { fileIndex: 0, file: 'setup.sql', statement: s.index, txSerial: 0 });
  return m;
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function errorOf(c: pg.Client, sql: string): Promise<string | null> {
  try {
    await c.query(sql);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Relations, foreign keys and columns in user schemas, for before/after comparisons. */
async function catalog(c: pg.Client) {
  const user = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`;
  const rels = await c.query(`SELECT n.nspname || '.' || c.relname AS k FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${user} AND c.relkind IN ('r','p','v','m','S','f')`);
  const fks = await c.query(`SELECT n.nspname || '.' || c.relname || '/' || k.conname AS k FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${user} AND k.contype = 'f'`);
  const cols = await c.query(
    `SELECT n.nspname || '.' || c.relname || '.' || a.attname AS k FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${user} AND c.relkind IN ('r','p') AND a.attnum > 0 AND NOT a.attisdropped`,
  );
  return { rels: new Set(rels.rows.map((r) => r.k as string)), fks: new Set(fks.rows.map((r) => r.k as string)), cols: new Set(cols.rows.map((r) => r.k as string)) };
}

const gone = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();

const DROPS = `
CREATE SCHEMA archive;
CREATE TABLE archive.events (id bigint PRIMARY KEY, payload jsonb);
CREATE TABLE archive.event_tags (event_id bigint REFERENCES archive.events (id), tag text);
CREATE VIEW archive.monthly AS SELECT id FROM archive.events;
CREATE VIEW archived_report AS SELECT id FROM archive.monthly;
CREATE TABLE keeps (id bigint, event_id bigint REFERENCES archive.events (id));
CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text, status text);
CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint REFERENCES users (id));
CREATE VIEW active_users AS SELECT id, email FROM users WHERE status = 'active';
CREATE VIEW recent_active_users AS SELECT id FROM active_users;
CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE TABLE diary (id int, m mood, note text);
CREATE DOMAIN positive_amount AS numeric;
CREATE DOMAIN big_amount AS positive_amount;
CREATE TABLE payments (id bigint PRIMARY KEY, amount positive_amount, refund big_amount, memo text);
CREATE TABLE pt (id int, a int) PARTITION BY RANGE (id);
CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (100);
`;

for (const major of availableMajors() as PgMajor[]) {
  describe(`on PostgreSQL ${major}`, () => {
    it.each([
      'DROP SCHEMA archive CASCADE',
      'DROP TABLE archive.events CASCADE',
      'DROP TABLE users CASCADE',
      'DROP VIEW active_users CASCADE',
      'DROP TYPE mood CASCADE',
      'DROP DOMAIN positive_amount CASCADE',
      'DROP TABLE pt',
      'DROP TABLE orders',
    ])('%s removes what dropReach says', async (stmt) => {
      const model = modelOf(DROPS);
      const reach = dropReach(model, parseSqlFile('m.sql', stmt).statements[0]!.node);
      await withDatabase(major, (url) =>
        withClient(url, async (c) => {
          await c.query(DROPS);
          const before = await catalog(c);
          await c.query(stmt);
          const after = await catalog(c);
          expect(gone(before.rels, after.rels)).toEqual([...reach.relations].sort());
          // Foreign keys of tables that stay, and columns of a dropped type.
          const fks = gone(before.fks, after.fks).filter((k) => after.rels.has(k.split('/')[0]!));
          expect(fks).toEqual(reach.foreignKeys.map((f) => `${f.table}/${f.name}`).sort());
          const cols = gone(before.cols, after.cols).filter((k) => after.rels.has(k.slice(0, k.lastIndexOf('.'))));
          expect(cols).toEqual(reach.columns.map((x) => `${x.table}.${x.column}`).sort());
        }),
      );
    });

    it('drop-cascade suggestion: the explicit drops without CASCADE run, in that order', async () => {
      const r = lint(DROPS, 'DROP SCHEMA archive CASCADE;').find((f) => f.rule === 'drop-cascade')!;
      await withDatabase(major, (url) =>
        withClient(url, async (c) => {
          await c.query(DROPS);
          await c.query(r.suggestion!);
          expect((await catalog(c)).rels.has('archive.events')).toBe(false);
        }),
      );
    });

    it('row security with no policy for a role: it sees no rows, changes none, and cannot insert', async () => {
      const role = `ddlg_${randomBytes(4).toString('hex')}`;
      const other = `${role}_b`;
      await withDatabase(major, (url) =>
        withClient(url, async (c) => {
          await c.query(`CREATE ROLE ${role}; CREATE ROLE ${other};`);
          try {
            await c.query(`CREATE TABLE notes (id int, owner text); INSERT INTO notes VALUES (1, 'a'), (2, 'b'); GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO ${role}, ${other};`);
            await c.query('ALTER TABLE notes ENABLE ROW LEVEL SECURITY');
            await c.query(`SET ROLE ${role}`);
            expect((await c.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(0);
            expect((await c.query(`UPDATE notes SET owner = 'x'`)).rowCount).toBe(0);
            expect((await c.query('DELETE FROM notes')).rowCount).toBe(0);
            expect(await errorOf(c, `INSERT INTO notes VALUES (3, 'c')`)).toMatch(/row-level security/);
            await c.query('RESET ROLE');
            // A policy for one role: the other still sees nothing.
            await c.query(`CREATE POLICY notes_role ON notes FOR ALL TO ${role} USING (true)`);
            await c.query(`SET ROLE ${role}`);
            expect((await c.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(2);
            await c.query(`SET ROLE ${other}`);
            expect((await c.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(0);
            await c.query('RESET ROLE');
            // FORCE: the owner is held to the policies too.
            await c.query(`ALTER TABLE notes OWNER TO ${other}; ALTER TABLE notes FORCE ROW LEVEL SECURITY;`);
            await c.query(`SET ROLE ${other}`);
            expect((await c.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(0);
            await c.query('RESET ROLE');
          } finally {
            await c.query('RESET ROLE; DROP TABLE IF EXISTS notes;');
            await c.query(`DROP ROLE ${role}; DROP ROLE ${other};`);
          }
        }),
      );
    });

    it('a revoked privilege fails with permission denied', async () => {
      const role = `ddlg_${randomBytes(4).toString('hex')}`;
      await withDatabase(major, (url) =>
        withClient(url, async (c) => {
          await c.query(`CREATE ROLE ${role}; CREATE TABLE orders (id int); GRANT SELECT ON orders TO ${role};`);
          try {
            const r = lint('CREATE TABLE orders (id int);', `REVOKE SELECT ON orders FROM ${role};`).find((f) => f.rule === 'revoke-privileges')!;
            await c.query(`REVOKE SELECT ON orders FROM ${role}`);
            await c.query(`SET ROLE ${role}`);
            expect(await errorOf(c, 'SELECT * FROM orders')).toMatch(/permission denied/);
            await c.query('RESET ROLE');
            // The suggestion's undo restores it.
            await c.query(r.suggestion!.split('\n').filter((l) => l.startsWith('GRANT')).join('\n'));
            await c.query(`SET ROLE ${role}`);
            expect(await errorOf(c, 'SELECT * FROM orders')).toBeNull();
          } finally {
            await c.query('RESET ROLE; DROP TABLE orders;');
            await c.query(`DROP ROLE ${role}`);
          }
        }),
      );
    });

    it('CREATE OR REPLACE VIEW refuses dropped, renamed and reordered columns, and allows new ones at the end', async () => {
      const setup = `CREATE TABLE users (id int, email text, name text, status text); CREATE VIEW active_users AS SELECT id, email FROM users WHERE status = 'active';`;
      await withDatabase(major, (url) =>
        withClient(url, async (c) => {
          await c.query(setup);
          expect(await errorOf(c, `CREATE OR REPLACE VIEW active_users AS SELECT id FROM users`)).toMatch(/cannot drop columns from view/);
          expect(await errorOf(c, `CREATE OR REPLACE VIEW active_users AS SELECT id, email AS contact FROM users`)).toMatch(/cannot change name of view column/);
          expect(await errorOf(c, `CREATE OR REPLACE VIEW active_users AS SELECT email, id FROM users`)).toMatch(/cannot change (name|data type) of view column/);
          expect(await errorOf(c, `CREATE OR REPLACE VIEW active_users AS SELECT id, email, name FROM users`)).toBeNull();
          // What replace-view-columns reports matches: the refused ones, not the last.
          const found = lint(setup, `CREATE OR REPLACE VIEW active_users AS SELECT id FROM users;\nCREATE OR REPLACE VIEW active_users AS SELECT id, email, name FROM users;`).filter((f) => f.rule === 'replace-view-columns');
          expect(found.map((f) => f.line)).toEqual([1]);
        }),
      );
    });

    it('the output column names replay derives for a view are the ones PostgreSQL gives it', async () => {
      const setup = `CREATE TABLE t (id int, a int, b text); CREATE TABLE u (id int, c text);`;
      const views = [
        'SELECT id, a + 1, b AS label, count(*) FROM t GROUP BY 1, 2, 3',
        'SELECT t.*, u.c FROM t JOIN u ON u.id = t.id',
        'SELECT * FROM t',
        "SELECT b::text, 'x'::text, a::bigint AS big, coalesce(a, 0), CASE WHEN a > 0 THEN 1 END, nullif(a, 0), lower(b) FROM t",
        'SELECT id FROM t UNION SELECT id FROM u',
      ];
      const model = modelOf(setup);
      await withDatabase(major, (url) =>
        withClient(url, async (c) => {
          await c.query(setup);
          for (const [i, v] of views.entries()) {
            await c.query(`CREATE VIEW v${i} AS ${v}`);
            const got = await c.query(`SELECT attname FROM pg_attribute WHERE attrelid = 'v${i}'::regclass AND attnum > 0 ORDER BY attnum`);
            const derived = outputColumns(model, parseSqlFile('v.sql', `CREATE VIEW v${i} AS ${v}`).statements[0]!.node.query);
            expect(derived, v).toEqual(got.rows.map((r) => r.attname));
          }
        }),
      );
    });

    it("an old enum label fails once renamed, and the suggested expand step keeps both", async () => {
      await withDatabase(major, (url) =>
        withClient(url, async (c) => {
          await c.query(`CREATE TYPE order_status AS ENUM ('new', 'paid'); CREATE TABLE orders (id int, status order_status); INSERT INTO orders VALUES (1, 'paid');`);
          const r = lint(`CREATE TYPE order_status AS ENUM ('new', 'paid'); CREATE TABLE orders (id int, status order_status);`, `ALTER TYPE order_status RENAME VALUE 'paid' TO 'settled';`).find((f) => f.rule === 'rename-enum-value')!;
          const [, add, , update] = r.suggestion!.split('\n');
          await c.query(add!);
          await c.query(update!);
          expect((await c.query(`SELECT count(*)::int AS n FROM orders WHERE status = 'settled'`)).rows[0].n).toBe(1);
          expect(await errorOf(c, `SELECT * FROM orders WHERE status = 'paid'`)).toBeNull();
          await c.query(`ALTER TYPE order_status RENAME VALUE 'new' TO 'created'`);
          expect(await errorOf(c, `SELECT * FROM orders WHERE status = 'new'`)).toMatch(/invalid input value for enum/);
        }),
      );
    });

    it('an unpopulated materialized view cannot be read until it is refreshed', async () => {
      await withDatabase(major, (url) =>
        withClient(url, async (c) => {
          await c.query(`CREATE TABLE t (id int); INSERT INTO t VALUES (1); CREATE MATERIALIZED VIEW mv AS SELECT id FROM t; CREATE UNIQUE INDEX mv_id ON mv (id);`);
          await c.query('REFRESH MATERIALIZED VIEW mv WITH NO DATA');
          expect(await errorOf(c, 'SELECT * FROM mv')).toMatch(/has not been populated/);
          expect(await errorOf(c, 'REFRESH MATERIALIZED VIEW CONCURRENTLY mv')).toMatch(/CONCURRENTLY cannot be used when the materialized view is not populated/);
          await c.query('REFRESH MATERIALIZED VIEW mv');
          expect((await c.query('SELECT count(*)::int AS n FROM mv')).rows[0].n).toBe(1);
        }),
      );
    });

    it("require-concurrent-index's partitioned suggestion runs and leaves a valid parent index", async () => {
      const setup = `CREATE TABLE measurements (id bigint NOT NULL, at timestamptz NOT NULL, value numeric) PARTITION BY RANGE (at);
        CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');`;
      const r = lint(setup, 'CREATE INDEX measurements_value_idx ON measurements (value);').find((f) => f.rule === 'require-concurrent-index')!;
      // Linted, the suggestion gives no blocking-index finding.
      expect(lint(setup, r.suggestion!).filter((f) => f.rule === 'require-concurrent-index')).toEqual([]);
      await withDatabase(major, (url) =>
        withClient(url, async (c) => {
          await c.query(setup);
          const onOnly = parseSqlFile('s.sql', r.suggestion!).statements;
          for (const s of onOnly) await c.query(s.text);
          const valid = await c.query(`SELECT indisvalid FROM pg_index WHERE indexrelid = 'measurements_value_idx'::regclass`);
          expect(valid.rows[0].indisvalid).toBe(true);
        }),
      );
    });

    it("attach-partition-scan's CHECK on the DEFAULT partition skips its scan", async () => {
      const setup = `CREATE TABLE readings (id bigint NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (at); CREATE TABLE readings_default PARTITION OF readings DEFAULT;`;
      const stmt = `CREATE TABLE readings_2024 PARTITION OF readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');`;
      const r = lint(setup, stmt).find((f) => f.rule === 'attach-partition-scan')!;
      await withDatabase(major, (url) =>
        withClient(url, async (c) => {
          await c.query(setup);
          await c.query(`INSERT INTO readings SELECT g, '2030-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 1000) g`);
          const parts = parseSqlFile('s.sql', r.suggestion!).statements;
          for (const s of parts.slice(0, -1)) await c.query(s.text);
          // Counters not yet flushed from earlier transactions are included: compare before and after.
          const scans = async () => (await c.query(`SELECT pg_stat_get_xact_numscans('readings_default'::regclass)::int AS n`)).rows[0].n as number;
          await c.query('BEGIN');
          const before = await scans();
          await c.query(parts[parts.length - 1]!.text);
          const after = await scans();
          await c.query('COMMIT');
          expect(after - before).toBe(0);
          // Without the CHECK the default partition is scanned (the finding's claim).
          await c.query('DROP TABLE readings_2024; ALTER TABLE readings_default DROP CONSTRAINT readings_default_excludes_new;');
          await c.query('BEGIN');
          const b2 = await scans();
          await c.query(parts[parts.length - 1]!.text);
          const a2 = await scans();
          await c.query('COMMIT');
          expect(a2 - b2).toBe(1);
        }),
      );
    });

    it('a domain constraint added NOT VALID is not checked against existing rows; VALIDATE checks them', async () => {
      await withDatabase(major, (url) =>
        withClient(url, async (c) => {
          await c.query(`CREATE DOMAIN positive_amount AS numeric; CREATE TABLE payments (id int, amount positive_amount); INSERT INTO payments VALUES (1, -5);`);
          const r = lint('CREATE DOMAIN positive_amount AS numeric; CREATE TABLE payments (id int, amount positive_amount);', 'ALTER DOMAIN positive_amount ADD CONSTRAINT positive_amount_check CHECK (VALUE > 0);').find(
            (f) => f.rule === 'constraint-requires-not-valid',
          )!;
          await c.query(r.suggestion!.split('\n')[0]!);
          expect(await errorOf(c, 'INSERT INTO payments VALUES (2, -1)')).toMatch(/violates check constraint/);
          expect(await errorOf(c, 'ALTER DOMAIN positive_amount VALIDATE CONSTRAINT positive_amount_check')).toMatch(/contains values that violate the new constraint/);
        }),
      );
    });

    it.each(['REINDEX INDEX orders_note_idx', 'ALTER INDEX orders_note_idx SET TABLESPACE pg_default'])(
      'require-lock-timeout on %s names the table: while it waits, a query on the table that does not use the index queues',
      async (stmt) => {
        const setup = 'CREATE TABLE orders (id bigint PRIMARY KEY, note text, amount int); CREATE INDEX orders_note_idx ON orders (note);';
        const r = lint(setup, `${stmt};`).find((f) => f.rule === 'require-lock-timeout')!;
        expect(r.message).toMatch(/every query on public\.orders queues behind it/);
        await withDatabase(major, async (url) => {
          const [holder, ddl, reader] = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
          await Promise.all([holder, ddl, reader].map((c) => c.connect()));
          try {
            await holder.query(setup);
            // A transaction that read the table holds ACCESS SHARE on it and on each of its indexes.
            await holder.query('BEGIN');
            await holder.query('SELECT * FROM orders WHERE id = 1');
            const ddlPid = (await ddl.query('SELECT pg_backend_pid() AS p')).rows[0].p as number;
            const readerPid = (await reader.query('SELECT pg_backend_pid() AS p')).rows[0].p as number;
            const waiting = ddl.query(stmt).catch((e: Error) => e);
            const waits = async (pid: number) => {
              for (let i = 0; i < 200; i++) {
                const w = await holder.query(`SELECT relation::regclass::text AS rel FROM pg_locks WHERE pid = $1 AND NOT granted`, [pid]);
                if (w.rows.length) return w.rows.map((x) => x.rel as string);
                await new Promise((res) => setTimeout(res, 25));
              }
              return [];
            };
            expect(await waits(ddlPid)).toEqual(['orders_note_idx']);
            // The reader's query filters on amount (no index): it still waits, on the index.
            const read = reader.query('SELECT count(*) FROM orders WHERE amount = 1').catch((e: Error) => e);
            expect(await waits(readerPid)).toEqual(['orders_note_idx']);
            await holder.query('COMMIT');
            expect(await waiting).not.toBeInstanceOf(Error);
            expect(await read).not.toBeInstanceOf(Error);
          } finally {
            await Promise.all([holder, ddl, reader].map((c) => c.end().catch(() => undefined)));
          }
        });
      },
    );

    it.skipIf(major < 18)("ALTER CONSTRAINT ... ENFORCED: the suggested re-add NOT VALID and VALIDATE run", async () => {
      const setup = `CREATE TABLE users (id bigint PRIMARY KEY); CREATE TABLE orders (id bigint, user_id bigint, CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT ENFORCED);`;
      const r = lint(setup, 'ALTER TABLE orders ALTER CONSTRAINT orders_user_id_fkey ENFORCED;', 18).find((f) => f.rule === 'constraint-requires-not-valid')!;
      await withDatabase(major, (url) =>
        withClient(url, async (c) => {
          await c.query(setup);
          for (const s of parseSqlFile('s.sql', r.suggestion!).statements) await c.query(s.text);
          const k = await c.query(`SELECT convalidated, conenforced FROM pg_constraint WHERE conname = 'orders_user_id_fkey'`);
          expect(k.rows[0]).toEqual({ convalidated: true, conenforced: true });
        }),
      );
    });
  });
}

/** Lint `sql` after `history`, every rule at its default severity. */
function lint(history: string, sql: string, pgVersion = 15) {
  const severities = new Map(ALL_RULES.map((r) => [r.meta.id, r.meta.defaultSeverity === 'off' ? ('warning' as const) : r.meta.defaultSeverity]));
  return lintSources(
    [
      { displayPath: 'history.sql', text: history, role: 'history', transaction: 'none' },
      { displayPath: 'm.sql', text: sql, role: 'lint', transaction: 'none' },
    ],
    { pgVersion, rules: ALL_RULES, severities },
  ).findings;
}
