/** Snapshot round trip, the model diff and the merge's precedence and conflict notes (no database). */
import { beforeAll, describe, expect, it } from 'vitest';
import { SchemaModel, externalOrigin } from '../../src/schema/model.js';
import { replayStatement } from '../../src/schema/replay.js';
import { diffModels } from '../../src/schema/sources/diff.js';
import { mergeModels, type SourceNote } from '../../src/schema/sources/merge.js';
import { fromSnapshot, toSnapshot, SnapshotError } from '../../src/schema/sources/snapshot.js';
import { parseSqlFile } from '../../src/sql/parse.js';
import { loadParser } from '../../src/sql/parser.js';

beforeAll(async () => {
  await loadParser();
});

function replay(sql: string, file = 'history.sql'): SchemaModel {
  const model = new SchemaModel();
  const parsed = parseSqlFile(file, sql);
  if (parsed.error) throw new Error(parsed.error.message);
  // 'live' stands for a source other than migration files: its facts come before every file.
  for (const s of parsed.statements) replayStatement(model, s, file === 'live' ? externalOrigin('live', 'the live database') : { fileIndex: 0, file, statement: s.index, txSerial: 0 });
  return model;
}

const SCHEMA = `
CREATE TYPE mood AS ENUM ('sad', 'ok');
ALTER TYPE mood ADD VALUE 'happy' AFTER 'ok';
ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';
CREATE DOMAIN posint AS integer CONSTRAINT posint_check CHECK (VALUE > 0);
CREATE TABLE owners (id bigint PRIMARY KEY);
CREATE TABLE accounts (
  id bigint CONSTRAINT accounts_pk PRIMARY KEY,
  owner_id bigint REFERENCES owners (id),
  email varchar(100) NOT NULL,
  m mood,
  qty posint
);
CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email)) WHERE qty > 0;
CREATE TABLE events (at date NOT NULL, n int) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX events_at_idx ON ONLY events (at);
CREATE VIEW rich AS WITH r AS (SELECT * FROM accounts) SELECT * FROM r JOIN owners o ON o.id = r.owner_id;
`;

describe('schema model sources', () => {
  it('replays enums in order, domains with constraints, named PK indexes, partitions and view dependencies', () => {
    const m = replay(SCHEMA);
    expect(m.enums.get('public.mood')!.values).toEqual(['sad', 'meh', 'ok', 'happy']);
    expect(m.domains.get('public.posint')!.constraints).toEqual([{ name: 'posint_check', kind: 'check', validated: true }]);
    expect(m.indexes.has('public.accounts_pk')).toBe(true);
    const ix = m.indexes.get('public.accounts_email_key')!;
    expect([ix.unique, ix.expressions, ix.partial, ix.columns]).toEqual([true, 1, true, []]);
    expect(m.relations.get('public.events_2024')!.partitionBound).toBe("FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')");
    expect(m.relations.get('public.events')!.partitionStrategy).toBe('range');
    expect(m.indexes.get('public.events_at_idx')!.valid).toBe(false);
    expect(m.relations.get('public.rich')!.dependsOn).toEqual(['public.accounts', 'public.owners']);
  });

  it('round-trips through a snapshot with no difference', () => {
    const m = replay(SCHEMA);
    const snap = JSON.parse(JSON.stringify(toSnapshot(m, { pgVersion: 15, source: 'test' })));
    const { model } = fromSnapshot(snap, 'schema.json');
    expect(diffModels(m, model)).toEqual([]);
    expect(diffModels(model, m)).toEqual([]);
    expect(model.relations.get('public.accounts')!.origin?.source).toBe('snapshot');
  });

  it('rejects a file that is not a snapshot with the JSON path of the problem', () => {
    expect(() => fromSnapshot({ format: 'x' }, 's.json')).toThrow(SnapshotError);
    expect(() => fromSnapshot({ format: 'ddlguard-schema', version: 99 }, 's.json')).toThrow(/\$\.version: unsupported snapshot version 99/);
  });

  it('merges by precedence and reports each disagreement once', () => {
    const live = replay('CREATE TABLE accounts (id bigint PRIMARY KEY, qty bigint, extra int);', 'live');
    const history = replay('CREATE TABLE accounts (id bigint PRIMARY KEY, qty int, gone text); CREATE TABLE only_in_history (id int);');
    const notes: SourceNote[] = [];
    const merged = mergeModels([{ model: live, label: 'the live database' }, { model: history, label: 'the history files' }], notes);
    expect(merged.relations.get('public.accounts')!.columns.get('qty')!.type.name).toBe('int8');
    expect(merged.relations.has('public.only_in_history')).toBe(true);
    const messages = notes.map((n) => n.message);
    expect(messages).toContain('public.accounts.qty: type is integer in the history files but bigint in the live database (the live database is used)');
    expect(messages.some((m) => m === 'public.accounts.gone: in the history files, not in the live database (the live database is used)')).toBe(true);
    expect(messages.some((m) => m === 'public.accounts.extra: in the live database, not in the history files (the live database is used)')).toBe(true);
    expect(messages.some((m) => m.includes('only_in_history'))).toBe(false);
    expect(new Set(messages).size).toBe(messages.length);
  });
});

describe('placeholders', () => {
  it('a table no source defined records what statements do to it', () => {
    const m = replay(`
      ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;
      ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;
      ALTER TABLE users ADD COLUMN c varchar(10);
      CREATE INDEX users_c_idx ON users (c);
      ALTER TABLE users ALTER COLUMN qty TYPE bigint;
      ALTER TABLE users RENAME COLUMN email TO mail;
      ALTER TABLE users RENAME TO people;
      ALTER TABLE IF EXISTS nobody ADD COLUMN x int;`);
    const rel = m.relations.get('public.people')!;
    expect(rel.placeholder).toBe(true);
    expect(rel.origin?.fileIndex).toBe(-1);
    expect(m.hasValidatedNotNullProof(rel, 'mail')).toBe(true);
    expect(rel.columns.get('c')!.type.name).toBe('varchar');
    expect(m.columnNotNull(rel, 'qty')).toBe(null);
    expect(rel.columns.get('qty')!.type.name).toBe('int8');
    expect(m.indexes.get('public.users_c_idx')!.table).toBe('public.people');
    expect(m.relations.has('public.users')).toBe(false);
    expect(m.relations.has('public.nobody')).toBe(false);
  });
});

describe('the engine with a schema source', () => {
  const rules = async () => (await import('../../rules/index.js')).ALL_RULES;
  const sized = (rows: number) => {
    const m = replay('CREATE TABLE accounts (id bigint PRIMARY KEY, qty int);', 'live');
    m.relations.get('public.accounts')!.size = { rows, heapBytes: rows * 40, indexBytes: rows * 20, toastBytes: 0, totalBytes: rows * 60 };
    return m;
  };
  const run = async (model: SchemaModel, opts: Partial<import('../../src/lint/engine.js').EngineOptions> = {}, history?: string) => {
    const { lintSources } = await import('../../src/lint/engine.js');
    const all = await rules();
    const sources = [
      ...(history ? [{ displayPath: '000.sql', text: history, role: 'history' as const, transaction: 'none' as const }] : []),
      { displayPath: '001.sql', text: "SET lock_timeout = '1s';\nALTER TABLE accounts ALTER COLUMN qty TYPE bigint;\n", role: 'lint' as const, transaction: 'none' as const },
    ];
    return lintSources(sources, { pgVersion: 15, rules: all, severities: new Map(), model, modelLabel: 'the live database', ...opts });
  };

  it('puts the size on the finding and grades blocking findings on small tables to info', async () => {
    const big = (await run(sized(2_000_000))).findings.find((f) => f.rule === 'column-type-rewrite')!;
    expect(big.size).toEqual({ rows: 2_000_000, bytes: 120_000_000 });
    expect(big.severity).toBe('error');
    const small = (await run(sized(500), { severityBySize: { infoBelowRows: 10_000 } })).findings.find((f) => f.rule === 'column-type-rewrite')!;
    expect(small.severity).toBe('info');
    expect(small.help).toMatch(/reported as info: public\.accounts is below severityBySize/);
    // Above the limit, or with no size known, the rule's severity stands.
    expect((await run(sized(50_000), { severityBySize: { infoBelowRows: 10_000 } })).findings.find((f) => f.rule === 'column-type-rewrite')!.severity).toBe('error');
  });

  it('merges the history under the source, reports the disagreement once, and never changes the source model', async () => {
    const model = sized(2_000_000);
    const r = await run(model, {}, 'CREATE TABLE accounts (id bigint PRIMARY KEY, qty bigint);');
    // The database says int: the change still rewrites.
    expect(r.findings.map((f) => f.rule)).toContain('column-type-rewrite');
    expect(r.notes).toEqual([{ message: 'public.accounts.qty: type is bigint in the history files but integer in the live database (the live database is used)' }]);
    expect(model.relations.get('public.accounts')!.columns.get('qty')!.type.name).toBe('int4');
    // A second run over the same model sees the same thing.
    expect((await run(model)).findings.map((f) => f.rule)).toContain('column-type-rewrite');
  });
});
