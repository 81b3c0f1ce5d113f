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
