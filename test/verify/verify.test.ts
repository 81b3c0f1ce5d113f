import { describe, expect, it } from 'vitest';
import { ServerEngine } from '../../src/trace/engine.js';
import { compareTables } from '../../src/verify/compare.js';
import { checkExpressionText, preflight } from '../../src/verify/preflight.js';
import { pgUrl, withDatabase } from '../support/db.js';

const SCHEMA = `
CREATE TABLE p (id int PRIMARY KEY);
INSERT INTO p SELECT g FROM generate_series(1, 10) g;
CREATE TABLE t (id int PRIMARY KEY, a int, b text, big bigint, p_id int);
INSERT INTO t SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE g % 7 END, 'v' || (g % 50), g::bigint * 100000000, CASE WHEN g <= 95 THEN g % 10 + 1 ELSE 99 END
FROM generate_series(1, 100) g;
`;

const MIGRATION = `
ALTER TABLE t ALTER COLUMN a SET NOT NULL;
ALTER TABLE t ADD CONSTRAINT t_b_key UNIQUE (b);
CREATE UNIQUE INDEX t_a_uidx ON t (a);
ALTER TABLE t ADD CONSTRAINT t_p_fkey FOREIGN KEY (p_id) REFERENCES p;
ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0 AND (a < 6));
ALTER TABLE t ADD CONSTRAINT t_a_check2 CHECK (a > 100) NOT VALID;
ALTER TABLE t ALTER COLUMN big TYPE int;
ALTER TABLE t ALTER COLUMN b TYPE varchar(2);
ALTER TABLE t ADD COLUMN c int NOT NULL;
`;

describe('checkExpressionText', () => {
  it('reads a balanced CHECK expression', () => {
    expect(checkExpressionText("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0 AND (b <> ')'))", 0)).toBe("a > 0 AND (b <> ')')");
  });
});

describe.skipIf(!pgUrl(18) && !pgUrl(15))('verify on a server', () => {
  const major = pgUrl(18) ? 18 : 15;

  it('preflight counts offending rows per check, read-only', async () => {
    await withDatabase(major, async (url) => {
      const setup = await ServerEngine.connect(url);
      await setup.exec(SCHEMA);
      await setup.close();
      const r = await preflight([{ path: 'm.sql', text: MIGRATION }], { engine: url, sampleRows: 2 });
      const by = Object.fromEntries(r.checks.map((c) => [c.description.split(':')[0], c.offending]));
      expect(by).toEqual({
        'SET NOT NULL on a': 10,
        'UNIQUE t_b_key (b)': 50,
        'UNIQUE t_a_uidx (a)': 7,
        'FOREIGN KEY t_p_fkey (p_id) -> p': 5,
        'CHECK t_a_check (a > 0 AND (a < 6))': 25,
        'TYPE integer on big': 79,
        'TYPE varchar(2) on b': 80,
        'ADD COLUMN c NOT NULL without a default': 100,
      });
      expect(r.ok).toBe(false);
      expect(r.checks.every((c) => c.error === null)).toBe(true);
      expect(r.checks[0]!.samples).toHaveLength(2);
      // Nothing was changed.
      const check = await ServerEngine.connect(url);
      const cols = await check.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 't'::regclass AND contype <> 'n'`);
      await check.close();
      expect(cols[0]!.n).toBe(1);
    });
  });

  it('compare finds mismatching key ranges, also across databases', async () => {
    await withDatabase(major, async (url) => {
      const e = await ServerEngine.connect(url);
      await e.exec(`CREATE TABLE src (id bigint PRIMARY KEY, v text, n int);
        INSERT INTO src SELECT g, 'v' || g, g FROM generate_series(1, 1000) g;
        CREATE TABLE dst AS SELECT * FROM src; ALTER TABLE dst ADD COLUMN n_new bigint; UPDATE dst SET n_new = n;
        UPDATE dst SET v = 'changed' WHERE id = 250; DELETE FROM dst WHERE id = 777; UPDATE dst SET n_new = 0 WHERE id = 10;`);
      const same = await compareTables({ source: { engine: e, table: 'src' }, target: { engine: e, table: 'src' }, chunkSize: 100 });
      expect(same).toMatchObject({ equal: true, chunks: 10, sourceRows: 1000, targetRows: 1000 });
      const r = await compareTables({ source: { engine: e, table: 'src', columns: ['v', 'n'] }, target: { engine: e, table: 'dst', columns: ['v', 'n'] }, chunkSize: 100 });
      expect(r.mismatches.map((m) => m.from)).toEqual(['201', '701']);
      const backfill = await compareTables({ source: { engine: e, table: 'dst', columns: ['n'] }, target: { engine: e, table: 'dst', columns: ['n_new'] }, chunkSize: 100 });
      expect(backfill.mismatches).toEqual([{ from: '1', to: '101', sourceRows: 100, targetRows: 100 }]);
      await e.close();
      await withDatabase(major, async (url2) => {
        const e2 = await ServerEngine.connect(url2);
        await e2.exec(`CREATE TABLE src (id bigint PRIMARY KEY, v text, n int); INSERT INTO src SELECT g, 'v' || g, g FROM generate_series(1, 1000) g WHERE g <> 5;`);
        await e2.close();
        const cross = await compareTables({ source: { engine: url, table: 'src' }, target: { engine: url2, table: 'src' }, chunkSize: 500 });
        expect(cross.mismatches).toEqual([{ from: '1', to: '501', sourceRows: 500, targetRows: 499 }]);
      });
    });
  });
});
