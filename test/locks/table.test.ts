import { beforeAll, describe, expect, it } from 'vitest';
import { classifyStatement } from '../../src/locks/classify.js';
import { blocks, conflicts, LOCK_MODES } from '../../src/locks/modes.js';
import { LOCK_FACTS, lockFact } from '../../src/locks/table.js';
import { typeChange } from '../../src/locks/type-change.js';
import { expressionVolatility } from '../../src/sql/volatility.js';
import { SchemaModel } from '../../src/schema/model.js';
import { replayStatement } from '../../src/schema/replay.js';
import { parseSqlFile } from '../../src/sql/parse.js';
import { loadParser } from '../../src/sql/parser.js';

beforeAll(() => loadParser());

function effectsOf(history: string, sql: string, pgVersion = 15) {
  const model = new SchemaModel();
  for (const s of parseSqlFile('h.sql', history).statements) replayStatement(model, s, { fileIndex: 0, file: 'h.sql', statement: s.index, txSerial: 0 });
  const stmt = parseSqlFile('m.sql', sql).statements[0]!;
  return classifyStatement(stmt, { model, pgVersion, fileIndex: 1 });
}

describe('conflict matrix', () => {
  it('is symmetric', () => {
    for (const a of LOCK_MODES) for (const b of LOCK_MODES) expect(conflicts(a, b), `${a} x ${b}`).toBe(conflicts(b, a));
  });
  it('knows what each mode blocks', () => {
    expect(blocks('ACCESS EXCLUSIVE')).toMatchObject({ reads: true, writes: true });
    expect(blocks('SHARE')).toMatchObject({ reads: false, writes: true });
    expect(blocks('SHARE UPDATE EXCLUSIVE')).toMatchObject({ reads: false, writes: false, ddl: true });
  });
});

describe('lock table', () => {
  it('every fact resolves on every supported version', () => {
    for (const f of LOCK_FACTS) for (let v = 10; v <= 18; v++) expect(lockFact(f.id, v).id).toBe(f.id);
  });
  it('is version-aware where PostgreSQL changed', () => {
    expect(lockFact('add-column-default', 10).rewrite).toBe(true);
    expect(lockFact('add-column-default', 11).rewrite).toBe(false);
    expect(lockFact('set-not-null-proven', 11).scan).toBe(true);
    expect(lockFact('set-not-null-proven', 12).scan).toBe(false);
    expect(lockFact('attach-partition', 11).locks[0]).toMatchObject({ target: 'parent', mode: 'ACCESS EXCLUSIVE' });
    expect(lockFact('attach-partition', 12).locks[0]).toMatchObject({ target: 'parent', mode: 'SHARE UPDATE EXCLUSIVE' });
    expect(lockFact('add-not-null-constraint-not-valid', 17).unsupported).toBe(true);
    expect(lockFact('add-not-null-constraint-not-valid', 18).scan).toBe(false);
  });
});

describe('classification', () => {
  const T = 'CREATE TABLE t (id bigint PRIMARY KEY, v varchar(10), n numeric(10,2), i int, ts timestamp);';
  it('volatile vs non-volatile defaults', () => {
    expect(effectsOf(T, 'ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now()').effects[0]!.fact.id).toBe('add-column-default');
    expect(effectsOf(T, 'ALTER TABLE t ADD COLUMN c timestamptz DEFAULT CURRENT_TIMESTAMP').effects[0]!.fact.id).toBe('add-column-default');
    for (const f of ['clock_timestamp()', 'random()', 'gen_random_uuid()', "nextval('s')", 'my_func()']) {
      expect(effectsOf(T, `ALTER TABLE t ADD COLUMN c text DEFAULT ${f}`).effects[0]!.fact.id, f).toBe('add-column-default-volatile');
    }
    expect(expressionVolatility(undefined).volatile).toBe(false);
  });
  it('binary-compatible type changes do not rewrite', () => {
    const id = (sql: string) => effectsOf(T, sql).effects[0]!.fact.id;
    expect(id('ALTER TABLE t ALTER COLUMN v TYPE varchar(20)')).toBe('alter-column-type-binary-compatible');
    expect(id('ALTER TABLE t ALTER COLUMN v TYPE text')).toBe('alter-column-type-binary-compatible');
    expect(id('ALTER TABLE t ALTER COLUMN n TYPE numeric(12,2)')).toBe('alter-column-type-binary-compatible');
    expect(id('ALTER TABLE t ALTER COLUMN n TYPE numeric(12,3)')).toBe('alter-column-type');
    expect(id('ALTER TABLE t ALTER COLUMN i TYPE bigint')).toBe('alter-column-type');
    expect(id('ALTER TABLE t ALTER COLUMN v TYPE varchar(5)')).toBe('alter-column-type');
    expect(id("ALTER TABLE t ALTER COLUMN v TYPE int USING v::int")).toBe('alter-column-type');
  });
  it('narrowing is recognised', () => {
    expect(typeChange({ name: 'int8', schema: null, mods: [], array: false }, { name: 'int4', schema: null, mods: [], array: false }, true).narrowing).toBe(true);
    expect(typeChange({ name: 'varchar', schema: null, mods: [10], array: false }, { name: 'text', schema: null, mods: [], array: false }, true).narrowing).toBe(false);
  });
  it('SET NOT NULL uses a validated CHECK proof', () => {
    const h = T + 'ALTER TABLE t ADD CONSTRAINT c CHECK (i IS NOT NULL) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT c;';
    expect(effectsOf(h, 'ALTER TABLE t ALTER COLUMN i SET NOT NULL', 12).effects[0]!.scan).toBe(false);
    expect(effectsOf(h, 'ALTER TABLE t ALTER COLUMN i SET NOT NULL', 11).effects[0]!.scan).toBe(true);
    const unvalidated = T + 'ALTER TABLE t ADD CONSTRAINT c CHECK (i IS NOT NULL) NOT VALID;';
    expect(effectsOf(unvalidated, 'ALTER TABLE t ALTER COLUMN i SET NOT NULL', 16).effects[0]!.scan).toBe(true);
  });
  it('foreign keys lock the referenced table', () => {
    const e = effectsOf(T + 'CREATE TABLE p (id int PRIMARY KEY);', 'ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (i) REFERENCES p (id)');
    expect(e.locks.map((l) => [l.relation.key, l.mode])).toEqual([
      ['public.t', 'SHARE ROW EXCLUSIVE'],
      ['public.p', 'SHARE ROW EXCLUSIVE'],
    ]);
  });
  it('marks objects created in the linted file as new', () => {
    const model = new SchemaModel();
    const f = parseSqlFile('m.sql', 'CREATE TABLE n (id int); CREATE INDEX ON n (id);');
    replayStatement(model, f.statements[0]!, { fileIndex: 1, file: 'm.sql', statement: 0, txSerial: 1 });
    const e = classifyStatement(f.statements[1]!, { model, pgVersion: 15, fileIndex: 1 });
    expect(e.effects[0]!.table!.preExisting).toBe(false);
  });
});

describe('classification of the statement families', () => {
  const H = `
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE t (id int PRIMARY KEY, a int REFERENCES p (id), b text);
CREATE INDEX t_b_idx ON t (b);
CREATE TABLE pt (id int, a int) PARTITION BY RANGE (id);
CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (100);
CREATE INDEX pt_a_idx ON ONLY pt (a);
CREATE INDEX pt_1_a_idx ON pt_1 (a);
CREATE SCHEMA archive;
CREATE TABLE archive.a (id int PRIMARY KEY);
CREATE TABLE archive.b (id int, a_id int REFERENCES archive.a (id));
CREATE VIEW archive.v AS SELECT id FROM archive.a;
CREATE VIEW report AS SELECT v.id FROM archive.v v;
CREATE TABLE keeps (id int, a_id int REFERENCES archive.a (id));
CREATE TYPE mood AS ENUM ('ok', 'sad');
ALTER TABLE t ADD COLUMN m mood;
CREATE DOMAIN posint AS int;
ALTER TABLE t ADD COLUMN d posint;
CREATE TABLE t2 (id int, d posint);
`;
  const ids = (sql: string, v = 15) => effectsOf(H, sql, v).effects.map((e) => e.fact.id);
  const locks = (sql: string, v = 15) => effectsOf(H, sql, v).locks.map((l) => `${l.relation.key}=${l.mode}`).sort();

  it('CREATE INDEX ... ON ONLY on a partitioned table is its own, catalog-only fact', () => {
    expect(ids('CREATE INDEX pt_b_idx ON ONLY pt (a)')).toEqual(['create-index-on-only']);
    expect(lockFact('create-index-on-only', 18)).toMatchObject({ scan: false, rewrite: false });
    // Without ONLY it builds an index on every partition; on a table the model does not know, ONLY proves nothing.
    expect(ids('CREATE INDEX pt_b_idx ON pt (a)')).toEqual(['create-index']);
    expect(ids('CREATE INDEX x_idx ON ONLY unknown_table (a)')).toEqual(['create-index']);
    expect(ids('CREATE INDEX t_a_idx ON ONLY t (a)')).toEqual(['create-index']);
  });
  it('ALTER INDEX ... ATTACH PARTITION locks both indexes', () => {
    const e = effectsOf(H, 'ALTER INDEX pt_a_idx ATTACH PARTITION pt_1_a_idx').effects[0]!;
    expect(e.fact.id).toBe('alter-index-attach-partition');
    expect(e.locks.map((l) => `${l.target}:${l.relation.key}=${l.mode}`)).toEqual(['index:public.pt_a_idx=SHARE UPDATE EXCLUSIVE', 'partition-index:public.pt_1=ACCESS EXCLUSIVE']);
  });
  it('DROP SCHEMA ... CASCADE reaches the schema and what depends on it', () => {
    const e = effectsOf(H, 'DROP SCHEMA archive CASCADE').effects[0]!;
    expect(e.fact.id).toBe('drop-schema-cascade');
    expect([...e.reach!.relations].sort()).toEqual(['archive.a', 'archive.b', 'archive.v', 'public.report']);
    expect(e.reach!.foreignKeys).toEqual([{ table: 'public.keeps', name: 'keeps_a_id_fkey', references: 'archive.a' }]);
    expect(e.reach!.unknown.join(' ')).toMatch(/functions/);
    expect(locks('DROP SCHEMA archive CASCADE')).toEqual(['archive.a', 'archive.b', 'archive.v', 'public.keeps', 'public.report'].map((k) => `${k}=ACCESS EXCLUSIVE`));
    expect(ids('DROP SCHEMA archive')).toEqual(['drop-schema']);
    expect(locks('DROP SCHEMA archive')).toEqual([]);
  });
  it('DROP TABLE / VIEW / TYPE / SEQUENCE / FUNCTION ... CASCADE', () => {
    expect(ids('DROP TABLE archive.a CASCADE')).toEqual(['drop-table-cascade']);
    expect(locks('DROP TABLE archive.a CASCADE')).toEqual(['archive.a', 'archive.b', 'archive.v', 'public.keeps', 'public.report'].map((k) => `${k}=ACCESS EXCLUSIVE`));
    expect(ids('DROP TABLE t CASCADE')).toEqual(['drop-table-cascade', 'drop-table-with-foreign-keys']);
    expect(locks('DROP VIEW archive.v CASCADE')).toEqual(['archive.v', 'public.report'].map((k) => `${k}=ACCESS EXCLUSIVE`));
    const ty = effectsOf(H, 'DROP TYPE mood CASCADE').effects[0]!;
    expect(ty.fact.id).toBe('drop-type-cascade');
    expect(ty.reach!.columns).toEqual([{ table: 'public.t', column: 'm', type: 'public.mood' }]);
    expect(locks('DROP TYPE mood CASCADE')).toEqual(['public.t=ACCESS EXCLUSIVE']);
    expect(locks('DROP DOMAIN posint CASCADE')).toEqual(['public.t2=ACCESS EXCLUSIVE', 'public.t=ACCESS EXCLUSIVE']);
    expect(ids('DROP TYPE mood')).toEqual(['drop-type']);
    expect(ids('DROP FUNCTION f() CASCADE')).toEqual(['drop-function-cascade']);
    expect(effectsOf(H, 'DROP FUNCTION f() CASCADE').effects[0]!.reach!.unknown.join(' ')).toMatch(/defaults, triggers/);
    expect(locks('DROP SEQUENCE t_seq CASCADE')).toEqual(['public.t_seq=ACCESS EXCLUSIVE']);
  });
  it('ALTER DOMAIN locks every table with a column of the domain', () => {
    const e = effectsOf(H, 'ALTER DOMAIN posint ADD CONSTRAINT posint_check CHECK (VALUE > 0)');
    expect(e.effects.map((x) => `${x.fact.id}:${x.table?.key}`)).toEqual(['alter-domain-add-constraint:public.t', 'alter-domain-add-constraint:public.t2']);
    expect(e.locks.map((l) => `${l.relation.key}=${l.mode}`)).toEqual(['public.t=SHARE', 'public.t2=SHARE']);
    expect(ids('ALTER DOMAIN posint ADD CONSTRAINT posint_check CHECK (VALUE > 0) NOT VALID')).toEqual(['alter-domain-add-constraint-not-valid']);
    expect(ids('ALTER DOMAIN posint VALIDATE CONSTRAINT posint_check')).toEqual(['alter-domain-validate-constraint', 'alter-domain-validate-constraint']);
    expect(ids('ALTER DOMAIN posint SET NOT NULL')).toEqual(['alter-domain-set-not-null', 'alter-domain-set-not-null']);
    expect(ids('ALTER DOMAIN posint DROP NOT NULL')).toEqual(['alter-domain-other']);
  });
  it('LOCK TABLE: one fact per mode', () => {
    expect(ids('LOCK TABLE t')).toEqual(['lock-table']);
    expect(ids('LOCK TABLE t IN SHARE MODE')).toEqual(['lock-table-share']);
    expect(locks('LOCK TABLE t, p IN ROW EXCLUSIVE MODE')).toEqual(['public.p=ROW EXCLUSIVE', 'public.t=ROW EXCLUSIVE']);
    expect(ids('LOCK TABLE t IN ACCESS SHARE MODE')).toEqual(['lock-table-access-share']);
  });
  it('GRANT / REVOKE: ACCESS SHARE from PostgreSQL 18', () => {
    expect(ids('REVOKE SELECT ON t FROM app')).toEqual(['grant-table']);
    expect(locks('REVOKE SELECT ON t FROM app', 17)).toEqual([]);
    expect(locks('REVOKE SELECT ON t FROM app', 18)).toEqual(['public.t=ACCESS SHARE']);
    expect(locks('GRANT SELECT ON ALL TABLES IN SCHEMA archive TO app', 18)).toEqual(['archive.a=ACCESS SHARE', 'archive.b=ACCESS SHARE', 'archive.v=ACCESS SHARE']);
    expect(ids('REVOKE USAGE ON SCHEMA archive FROM app')).toEqual(['grant-object']);
    expect(ids('REVOKE app FROM bob')).toEqual(['grant-role']);
  });
  it('types, constraints, triggers, policies, partitions', () => {
    expect(ids("ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'")).toEqual(['enum-rename-value']);
    expect(ids("ALTER TYPE mood ADD VALUE 'meh' BEFORE 'sad'")).toEqual(['enum-add-value-before']);
    expect(ids("ALTER TYPE mood ADD VALUE 'meh'")).toEqual(['enum-add-value']);
    expect(locks('ALTER TABLE t ALTER CONSTRAINT t_a_fkey ENFORCED', 18)).toEqual(['public.p=SHARE ROW EXCLUSIVE', 'public.t=ACCESS EXCLUSIVE']);
    expect(effectsOf(H, 'ALTER TABLE t ALTER CONSTRAINT t_a_fkey ENFORCED', 17).effects[0]!.fact.unsupported).toBe(true);
    expect(ids('ALTER TABLE t ALTER CONSTRAINT t_a_fkey DEFERRABLE')).toEqual(['alter-constraint']);
    expect(ids('ALTER TABLE t RENAME CONSTRAINT t_pkey TO t_pk')).toEqual(['rename-constraint-index']);
    expect(ids('ALTER TABLE t RENAME CONSTRAINT t_a_fkey TO t_fk')).toEqual(['rename-constraint']);
    expect(ids('ALTER TABLE t ALTER COLUMN b SET COMPRESSION lz4')).toEqual(['set-compression']);
    expect(effectsOf(H, 'ALTER TABLE t ALTER COLUMN b SET COMPRESSION lz4', 13).effects[0]!.fact.unsupported).toBe(true);
    expect(ids('ALTER INDEX t_b_idx SET (fillfactor = 70)')).toEqual(['alter-index-set']);
    expect(ids('ALTER INDEX t_b_idx SET (fastupdate = off)')).toEqual(['alter-index-set-exclusive']);
    expect(locks('ALTER TABLE t INHERIT p')).toEqual(['public.p=SHARE UPDATE EXCLUSIVE', 'public.t=ACCESS EXCLUSIVE']);
    expect(ids('ALTER TABLE t FORCE ROW LEVEL SECURITY')).toEqual(['row-security-force']);
    expect(ids('ALTER TABLE t REPLICA IDENTITY USING INDEX t_pkey')).toEqual(['replica-identity-index']);
    expect(ids('CREATE OR REPLACE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()')).toEqual(['create-or-replace-trigger']);
    expect(ids('ALTER TRIGGER tr ON t RENAME TO tr2')).toEqual(['alter-trigger-rename']);
    expect(ids('DROP POLICY pol ON t')).toEqual(['drop-policy']);
    expect(ids('ALTER POLICY pol ON t USING (true)')).toEqual(['alter-policy']);
    expect(ids('REFRESH MATERIALIZED VIEW archive.v WITH NO DATA')).toEqual(['refresh-materialized-view-with-no-data']);
    expect(ids('CREATE MATERIALIZED VIEW mv AS SELECT * FROM t WITH NO DATA')).toEqual(['create-materialized-view-no-data']);
    expect(effectsOf(H, 'CREATE MATERIALIZED VIEW mv AS SELECT * FROM t').effects[0]!.table?.key).toBe('public.t');
  });
  it('CREATE TABLE ... PARTITION OF: the parent, its DEFAULT partition and the tables its foreign keys reference', () => {
    const h = H + 'CREATE TABLE pt_def PARTITION OF pt DEFAULT; ALTER TABLE pt ADD CONSTRAINT pt_a_fkey FOREIGN KEY (a) REFERENCES p (id);';
    const e = effectsOf(h, 'CREATE TABLE pt_2 PARTITION OF pt FOR VALUES FROM (100) TO (200)');
    expect(e.effects.map((x) => x.fact.id)).toEqual(['create-partition-of', 'create-partition-of-default', 'create-table-references']);
    expect(e.locks.map((l) => `${l.relation.key}=${l.mode}`).sort()).toEqual(['public.p=SHARE ROW EXCLUSIVE', 'public.pt=ACCESS EXCLUSIVE', 'public.pt_def=ACCESS EXCLUSIVE']);
    expect(effectsOf(h, 'CREATE TABLE pt_9 (id int, a int)').effects).toEqual([]);
    const attach = effectsOf(h + 'CREATE TABLE pt_3 (id int, a int);', 'ALTER TABLE pt ATTACH PARTITION pt_3 FOR VALUES FROM (200) TO (300)');
    expect(attach.effects.map((x) => `${x.fact.id}:${x.table?.key}`)).toEqual(['attach-partition:public.pt', 'attach-partition-default:public.pt_def']);
  });
});

describe('replay of the statement families', () => {
  const model = (sql: string) => {
    const m = new SchemaModel();
    for (const s of parseSqlFile('h.sql', sql).statements) replayStatement(m, s, { fileIndex: 0, file: 'h.sql', statement: s.index, txSerial: 0 });
    return m;
  };
  it('DROP ... CASCADE removes what depends on the dropped objects', () => {
    const m = model(`CREATE SCHEMA archive; CREATE TABLE archive.a (id int PRIMARY KEY); CREATE VIEW report AS SELECT id FROM archive.a;
      CREATE TABLE keeps (id int, a_id int REFERENCES archive.a (id)); CREATE TYPE mood AS ENUM ('ok'); CREATE TABLE t (id int, m mood);
      DROP SCHEMA archive CASCADE; DROP TYPE mood CASCADE;`);
    expect([...m.relations.keys()].sort()).toEqual(['public.keeps', 'public.t']);
    expect(m.schemas.has('archive')).toBe(false);
    expect([...m.relations.get('public.keeps')!.constraints.keys()]).toEqual([]);
    expect([...m.relations.get('public.t')!.columns.keys()]).toEqual(['id']);
    expect(m.enums.size).toBe(0);
    // Without CASCADE the view stays (PostgreSQL would refuse the drop).
    const r = model('CREATE TABLE a (id int); CREATE VIEW v AS SELECT id FROM a; DROP TABLE a;');
    expect([...r.relations.keys()]).toEqual(['public.v']);
  });
  it('policies, row security, view columns, where functions and schemas were made', () => {
    const m = model(`CREATE TABLE t (id int, a int); CREATE POLICY p1 ON t FOR SELECT TO app USING (true); CREATE POLICY p2 ON t AS RESTRICTIVE USING (a > 0);
      ALTER POLICY p1 ON t RENAME TO p3; ALTER TABLE t ENABLE ROW LEVEL SECURITY; DROP POLICY p2 ON t;
      CREATE VIEW v (x) AS SELECT id, a + 1, count(*) AS n, a::text FROM t GROUP BY 1, 2, 4; CREATE VIEW w AS SELECT * FROM t;
      CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$; CREATE SCHEMA s;`);
    const t = m.relations.get('public.t')!;
    expect([...t.policies!.values()].map((p) => [p.name, p.command, p.roles, p.permissive])).toEqual([['p3', 'select', ['app'], true]]);
    expect(t.rowSecurity).toEqual({ enabled: true, forced: false });
    expect(m.relations.get('public.v')!.outputColumns).toEqual(['x', '?column?', 'n', 'a']);
    expect(m.relations.get('public.w')!.outputColumns).toEqual(['id', 'a']);
    expect(m.functionOrigins.get('f')?.file).toBe('h.sql');
    expect(m.schemaOrigins.get('s')?.file).toBe('h.sql');
    // A placeholder's policies are unknown, not empty.
    const p = model('ALTER TABLE x ENABLE ROW LEVEL SECURITY;');
    expect(p.relations.get('public.x')!.policies).toBeUndefined();
  });
});

describe('classification the differential oracle corrected (src/oracle, fixtures/oracle)', () => {
  const S = `
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE DOMAIN plainint AS int;
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id), d posint, tag text);
CREATE INDEX child_tag_idx ON child (tag);
CREATE INDEX child_lower_tag_idx ON child ((lower(tag)));
CREATE TABLE ev (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE ev_1 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE ev_def PARTITION OF ev DEFAULT;
`;
  beforeAll(loadParser);
  const locks = (sql: string) => effectsOf(S, sql).locks.map((l) => `${l.relation.key}=${l.mode}`).sort();
  const ids = (sql: string) => effectsOf(S, sql).effects.map((e) => e.fact.id);
  it('binds index locks to the index, not its table', () => {
    expect(locks('ALTER INDEX child_tag_idx RENAME TO x')).toEqual(['public.child_tag_idx=SHARE UPDATE EXCLUSIVE']);
    expect(locks('REINDEX TABLE parent')).toEqual(['public.parent=SHARE', 'public.parent_pkey=ACCESS EXCLUSIVE']);
    expect(locks('DROP INDEX child_tag_idx')).toEqual(['public.child=ACCESS EXCLUSIVE', 'public.child_tag_idx=ACCESS EXCLUSIVE']);
  });
  it('repeats a recursing statement lock on every partition, not with ONLY', () => {
    expect(locks('ALTER TABLE ev ADD COLUMN v int')).toEqual(['public.ev=ACCESS EXCLUSIVE', 'public.ev_1=ACCESS EXCLUSIVE', 'public.ev_def=ACCESS EXCLUSIVE']);
    expect(locks('CREATE INDEX ev_at_idx ON ev (at)')).toEqual(['public.ev=SHARE', 'public.ev_1=SHARE', 'public.ev_def=SHARE']);
    expect(locks('CREATE INDEX ev_at_idx ON ONLY ev (at)')).toEqual(['public.ev=SHARE']);
  });
  it('locks the DEFAULT partition on DETACH', () => {
    expect(ids('ALTER TABLE ev DETACH PARTITION ev_1')).toEqual(['detach-partition', 'detach-partition-default']);
  });
  it('knows SET LOGGED on a logged table copies nothing', () => {
    expect(ids('ALTER TABLE child SET LOGGED')).toEqual(['set-logged-noop']);
    expect(ids('ALTER TABLE child SET UNLOGGED')).toEqual(['set-logged']);
  });
  it('sees a binary-coercible type change build again the indexes on the column with a predicate or an expression (CheckIndexCompatible)', () => {
    const T = 'CREATE TABLE t (id int PRIMARY KEY, note varchar(20), qty int, tag text);\n';
    const of = (index: string, sql = 'ALTER TABLE t ALTER COLUMN note TYPE varchar(40)') => effectsOf(T + index, sql).effects.map((e) => e.fact.id);
    const rebuilt = ['alter-column-type-expression-index'];
    const kept = ['alter-column-type-binary-compatible'];
    expect(of('CREATE INDEX ON t (note);')).toEqual(kept);
    expect(of('CREATE INDEX ON t (note, id) WHERE qty > 10;')).toEqual(rebuilt);
    expect(of("CREATE INDEX ON t (id) WHERE note <> '';")).toEqual(rebuilt);
    expect(of('CREATE INDEX ON t (note, lower(tag));')).toEqual(rebuilt);
    expect(of('CREATE INDEX ON t ((lower(note)));')).toEqual(rebuilt);
    // Indexes that do not use the column keep their storage, whatever they hold.
    expect(of('CREATE INDEX ON t (id) WHERE qty > 10;')).toEqual(kept);
    expect(of('CREATE INDEX ON t (qty, lower(tag));')).toEqual(kept);
    // A renamed column is followed into the predicate; a dropped one takes the index with it.
    expect(of("CREATE INDEX ON t (id) WHERE note <> '';\nALTER TABLE t RENAME COLUMN note TO body;", 'ALTER TABLE t ALTER COLUMN body TYPE varchar(40)')).toEqual(rebuilt);
    expect(of("CREATE INDEX ON t (id) WHERE tag <> '';\nALTER TABLE t DROP COLUMN tag;")).toEqual(kept);
  });

  it('knows PostgreSQL refuses a type change of a column a generated column reads, and follows the expression', () => {
    const T = "CREATE TABLE t (id int PRIMARY KEY, note varchar(20), qty int, g text GENERATED ALWAYS AS (note || 'x') STORED);\n";
    const of = (setup: string, sql = 'ALTER TABLE t ALTER COLUMN note TYPE varchar(40)') => effectsOf(T + setup, sql).effects.map((e) => e.fact.id);
    expect(of('')).toEqual(['alter-column-type-generated-input']);
    expect(of('', 'ALTER TABLE t ALTER COLUMN qty TYPE bigint')).toEqual(['alter-column-type']);
    expect(of('ALTER TABLE t ALTER COLUMN g DROP EXPRESSION;')).toEqual(['alter-column-type-binary-compatible']);
    expect(of("ALTER TABLE t ALTER COLUMN g SET EXPRESSION AS (qty::text);")).toEqual(['alter-column-type-binary-compatible']);
    expect(of('ALTER TABLE t RENAME COLUMN note TO body;', 'ALTER TABLE t ALTER COLUMN body TYPE varchar(40)')).toEqual(['alter-column-type-generated-input']);
    expect(lockFact('alter-column-type-generated-input', 18).unsupported).toBe(true);
  });

  it('knows PostgreSQL refuses a type change of a column a view reads, resolving names by scope (traced on 18)', () => {
    const T = 'CREATE TABLE c (id int PRIMARY KEY, parent_id int, note text, tag text);\nCREATE TABLE p (id int PRIMARY KEY, name text);\n';
    const of = (view: string, sql: string) => effectsOf(T + view, sql).effects.map((e) => e.fact.id)[0];
    const correlated = 'CREATE VIEW v AS SELECT c.id, (SELECT p.name FROM p WHERE p.id = c.parent_id) AS pname FROM c;';
    expect(of(correlated, 'ALTER TABLE c ALTER COLUMN note TYPE varchar')).toBe('alter-column-type-binary-compatible');
    expect(of(correlated, 'ALTER TABLE c ALTER COLUMN parent_id TYPE bigint')).toBe('alter-column-type-view-input');
    expect(of(correlated, 'ALTER TABLE p ALTER COLUMN name TYPE varchar(100)')).toBe('alter-column-type-view-input');
    // A bare * is its own FROM's: the subquery's table is not read whole.
    expect(of('CREATE VIEW v AS SELECT *, (SELECT name FROM p WHERE p.id = c.parent_id) AS pname FROM c;', 'ALTER TABLE c ALTER COLUMN tag TYPE varchar(40)')).toBe('alter-column-type-view-input');
    expect(of('CREATE VIEW v AS SELECT *, (SELECT name FROM p WHERE p.id = c.parent_id) AS pname FROM c;', 'ALTER TABLE p ALTER COLUMN id TYPE bigint')).toBe('alter-column-type-view-input');
    expect(of('CREATE VIEW v AS SELECT *, (SELECT name FROM p LIMIT 1) AS pname FROM c;', 'ALTER TABLE p ALTER COLUMN id TYPE bigint')).toBe('alter-column-type');
    // Unqualified names in a subquery over another table are that table's.
    expect(of("CREATE VIEW v AS SELECT id FROM c WHERE tag > (SELECT max(name) FROM p WHERE name <> '');", 'ALTER TABLE c ALTER COLUMN note TYPE varchar')).toBe('alter-column-type-binary-compatible');
    expect(of("CREATE VIEW v AS SELECT id FROM c WHERE tag > (SELECT max(name) FROM p WHERE name <> '');", 'ALTER TABLE p ALTER COLUMN name TYPE varchar(100)')).toBe('alter-column-type-view-input');
    // A CTE's query reads its own FROM; the CTE's name is not a relation.
    expect(of('CREATE VIEW v AS WITH s AS (SELECT id, note FROM c) SELECT id FROM s;', 'ALTER TABLE c ALTER COLUMN note TYPE varchar')).toBe('alter-column-type-view-input');
    expect(of('CREATE VIEW v AS WITH s AS (SELECT id FROM c) SELECT id FROM s;', 'ALTER TABLE c ALTER COLUMN note TYPE varchar')).toBe('alter-column-type-binary-compatible');
    // Renames and drops are followed.
    expect(of('CREATE VIEW v AS SELECT id, note FROM c;\nALTER TABLE c RENAME COLUMN note TO body;', 'ALTER TABLE c ALTER COLUMN body TYPE varchar')).toBe('alter-column-type-view-input');
    expect(of('CREATE VIEW v AS SELECT id, note FROM c;\nALTER TABLE c RENAME TO c2;', 'ALTER TABLE c2 ALTER COLUMN note TYPE varchar')).toBe('alter-column-type-view-input');
    expect(of('CREATE VIEW v AS SELECT id, note FROM c;\nDROP VIEW v;', 'ALTER TABLE c ALTER COLUMN note TYPE varchar')).toBe('alter-column-type-binary-compatible');
  });

  it('sees a binary-coercible type change check again the validated CHECK constraints on the column', () => {
    const T = 'CREATE TABLE t (id int PRIMARY KEY, note varchar(20), qty int);\n';
    const of = (setup: string) => effectsOf(T + setup, 'ALTER TABLE t ALTER COLUMN note TYPE varchar(40)').effects.map((e) => e.fact.id);
    expect(of("ALTER TABLE t ADD CONSTRAINT t_note_check CHECK (note <> '');")).toEqual(['alter-column-type-check']);
    expect(of("ALTER TABLE t ADD CONSTRAINT t_note_check CHECK (length(note) > 0) NOT VALID;")).toEqual(['alter-column-type-binary-compatible']);
    expect(of('ALTER TABLE t ADD CONSTRAINT t_qty_check CHECK (qty > 0);')).toEqual(['alter-column-type-binary-compatible']);
    // An index rebuild reads the table as well: one effect says so.
    expect(of("ALTER TABLE t ADD CONSTRAINT t_note_check CHECK (note <> '');\nCREATE INDEX ON t (id) WHERE note <> '';")).toEqual(['alter-column-type-expression-index']);
  });

  it('compares the bases of domains in a type change, and sees expression indexes and foreign keys', () => {
    expect(ids('ALTER TABLE child ALTER COLUMN d TYPE plainint')).toEqual(['alter-column-type-binary-compatible']);
    expect(ids('ALTER TABLE child ALTER COLUMN tag TYPE varchar')).toEqual(['alter-column-type-expression-index']);
    expect(ids('ALTER TABLE child ALTER COLUMN parent_id TYPE bigint')).toEqual(['alter-column-type', 'alter-column-type-foreign-key']);
    expect(effectsOf(S, 'ALTER TABLE parent ALTER COLUMN id TYPE bigint').effects.map((e) => `${e.fact.id}:${e.table?.key}`)).toEqual(['alter-column-type:public.parent', 'alter-column-type-foreign-key:public.child']);
    expect(ids('ALTER TABLE child DROP COLUMN parent_id')).toEqual(['drop-column', 'drop-foreign-key']);
  });
  it('claims the foreign key checks of writes, and CREATE OR REPLACE VIEW on a view it does not know', () => {
    expect(locks('UPDATE child SET parent_id = 1')).toEqual(['public.child=ROW EXCLUSIVE', 'public.parent=ROW SHARE']);
    expect(locks("INSERT INTO child VALUES (1, 1, 1, 'x')")).toEqual(['public.child=ROW EXCLUSIVE', 'public.parent=ROW SHARE']);
    expect(ids('CREATE OR REPLACE VIEW unknown_v AS SELECT 1')).toEqual(['create-view']);
  });
});
