/**
 * The differential oracle (src/oracle): generated migrations, linted for the
 * engine's major and traced on it, must agree with the server on every
 * statement (lock mode per relation, rewrite, scan, "fails here"). A fixed
 * seed, a batch per engine (PGlite and every available server), one database
 * and one connection per engine. bench/oracle.ts runs thousands with a random
 * seed; the cases it found and minimised are replayed here from
 * fixtures/oracle/*.json on every engine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkCase, lintCase, minimise, type CaseResult } from '../../src/oracle/check.js';
import { generateCase, Rng, type OracleCase } from '../../src/oracle/generate.js';
import { loadParser } from '../../src/sql/parser.js';
import { PgliteEngine, ServerEngine, type Engine } from '../../src/trace/engine.js';
import { pgUrl, withDatabase, type PgMajor } from '../support/db.js';

const SEED = 13;
/**
 * Per engine (DDLGUARD_ORACLE_COUNT overrides): each case is a reset, the seeded schema and a trace,
 * 40-250 ms depending on the load; 150 keeps the two files near a minute on a loaded 2-core machine.
 */
const COUNT = Number(process.env.DDLGUARD_ORACLE_COUNT ?? 150);

const FIXTURES = path.join(import.meta.dirname, '../../fixtures/oracle');
const saved: Array<{ file: string; c: OracleCase }> = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ file: f, c: JSON.parse(readFileSync(path.join(FIXTURES, f), 'utf8')) as OracleCase }));

export type Name = 'pglite' | 'pg15' | 'pg16' | 'pg17' | 'pg18';
interface Run {
  major: number;
  generated: Array<{ c: OracleCase; r: CaseResult }>;
  replayed: Array<{ file: string; r: CaseResult }>;
}
const runs = new Map<Name, Run>();

async function runOn(engine: Engine): Promise<Run> {
  const v = await engine.query<{ n: string }>(`SELECT current_setting('server_version_num') AS n`);
  const major = Math.floor(Number(v[0]?.n) / 10000);
  const run: Run = { major, generated: [], replayed: [] };
  for (let n = 0; n < COUNT; n++) {
    const c = generateCase(SEED, n, major);
    run.generated.push({ c, r: await checkCase(engine, c, major) });
  }
  for (const { file, c } of saved) run.replayed.push({ file, r: await checkCase(engine, c, major) });
  return run;
}

/** Runs the fixed-seed batch and the saved cases on the named engines (those available), one database each. */
export function oracleSuite(names: readonly Name[]): void {
  beforeAll(async () => {
    await loadParser();
    const jobs: Array<Promise<void>> = [];
    if (names.includes('pglite')) {
      jobs.push(
        (async () => {
          const e = await PgliteEngine.create();
          try {
            runs.set('pglite', await runOn(e));
          } finally {
            await e.close();
          }
        })(),
      );
    }
    for (const major of [15, 16, 17, 18] as const satisfies readonly PgMajor[]) {
      if (!names.includes(`pg${major}`) || !pgUrl(major)) continue;
      jobs.push(
        withDatabase(major, async (url) => {
          const e = await ServerEngine.connect(url);
          try {
            runs.set(`pg${major}`, await runOn(e));
          } finally {
            await e.close();
          }
        }),
      );
    }
    await Promise.all(jobs);
  }, 600_000);
  for (const n of names) engineCases(n, () => n === 'pglite' || pgUrl(Number(n.slice(2)) as PgMajor) !== undefined);
}

const describeDisagreements = (r: CaseResult) => r.disagreements.map((d) => `[${d.aspect}] ${d.statement}: claimed ${d.claimed}; observed ${d.observed}`);

function engineCases(name: Name, available: () => boolean) {
  describe.skipIf(!available())(`oracle on ${name}`, () => {
    it(`seed ${SEED}: the linter agrees with the server on every generated statement`, () => {
      const run = runs.get(name)!;
      expect(run.generated).toHaveLength(COUNT);
      const bad = run.generated.filter((x) => x.r.error || x.r.disagreements.length).map((x) => ({ n: x.c.n, sql: x.c.sql, error: x.r.error, disagreements: describeDisagreements(x.r) }));
      expect(bad).toEqual([]);
      // The run compared real work: statements of most templates, and some that fail where the linter says they do.
      const compared = run.generated.flatMap((x) => x.r.compared);
      expect(compared.length).toBeGreaterThan(COUNT);
      expect(new Set(compared.map((x) => x.template)).size).toBeGreaterThan(25);
    });
    it.each(saved.map((s) => s.file))('saved case %s agrees', (file) => {
      const r = runs.get(name)!.replayed.find((x) => x.file === file)!.r;
      expect(r.error).toBeNull();
      expect(describeDisagreements(r)).toEqual([]);
      expect(r.compared.length).toBeGreaterThan(0);
    });
  });
}

export function generatorCases(): void {
describe('the generator and the check', () => {
  it('is deterministic per seed and case number', () => {
    expect(generateCase(7, 3, 18)).toEqual(generateCase(7, 3, 18));
    expect(generateCase(7, 3, 18).sql).not.toEqual(generateCase(7, 4, 18).sql);
    const r = new Rng(1);
    const xs = [r.next(), r.next()];
    expect(new Rng(1).next()).toBe(xs[0]);
  });

  it('varies what the issue asks for', () => {
    const all = Array.from({ length: 400 }, (_, n) => generateCase(SEED, n, 18));
    const sql = all.map((c) => c.sql).join('\n');
    for (const word of ['IF NOT EXISTS', 'IF EXISTS', 'ONLY ', 'CONCURRENTLY', 'NOT VALID', 'USING ', 'random()', 'posint', 'SET DATA TYPE', 'BEGIN;', 'PARTITION OF', 'ATTACH PARTITION', 'REFRESH MATERIALIZED VIEW', 'ADD VALUE', 'ALTER DOMAIN']) {
      expect(sql, word).toContain(word);
    }
    // Defaults: constant, stable, volatile, and a domain's own (ADD COLUMN of type code, which has one).
    expect(sql).toMatch(/DEFAULT (now\(\)|current_timestamp|current_user|current_setting)/);
    expect(sql).toMatch(/DEFAULT (0|5|'x')/);
    expect(sql).toMatch(/ADD COLUMN (IF NOT EXISTS )?c_\d+ code;/);
    expect(new Set(all.map((c) => c.placement))).toEqual(new Set(['database', 'history']));
    expect(all.some((c) => c.extraHistory)).toBe(true);
    expect(all.some((c) => c.inTransaction) && all.some((c) => !c.inTransaction)).toBe(true);
  });

  it('finds a disagreement when the claim is wrong, and minimises it', async () => {
    await loadParser();
    // The second statement fails on the server (no such column), which no fact claims: the check must
    // report it, and minimising must keep only that statement.
    const c: OracleCase = {
      seed: 0,
      n: 0,
      placement: 'history',
      extraHistory: null,
      sql: `ALTER TABLE child ADD COLUMN IF NOT EXISTS z int;\nALTER TABLE child ALTER COLUMN nope SET NOT NULL;\nANALYZE child;\n`,
      inTransaction: false,
      templates: ['add-column', 'set-not-null', 'table-maintenance'],
    };
    expect(lintCase(c, 18)).toHaveLength(3);
    const e = await PgliteEngine.create();
    try {
      const r = await checkCase(e, c, 18);
      expect(r.disagreements.map((d) => [d.aspect, d.template])).toEqual([['fails', 'set-not-null']]);
      const min = await minimise(c, r.disagreements[0]!, (x) => checkCase(e, x, 18));
      expect(min.sql).toBe(`ALTER TABLE child ALTER COLUMN nope SET NOT NULL;\n`);
    } finally {
      await e.close();
    }
  }, 120_000);
});
}
