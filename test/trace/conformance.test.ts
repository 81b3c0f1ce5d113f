/**
 * Conformance: every lock fact with a `sample` (src/locks/table.ts) is run
 * through trace on PGlite and on PostgreSQL 15 and 18, and the table's claimed
 * lock mode per target and its rewrite flag must equal what the server did.
 *
 * Each engine runs all samples once (in beforeAll, the three engines in
 * parallel); the `it` cases only compare. A disagreement where the table is
 * wrong is recorded in KNOWN_DISAGREEMENTS (the case becomes `it.fails`, with
 * the observed locks in the comment) and reported to whoever owns table.ts.
 *
 * Results are also written to $TMPDIR/ddlguard-conformance.json for reports.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockStrength } from '../../src/locks/modes.js';
import { lockFact, LOCK_FACTS, type LockTarget } from '../../src/locks/table.js';
import { PgliteEngine, ServerEngine, type Engine } from '../../src/trace/engine.js';
import { traceMigration, type TracedStatement } from '../../src/trace/trace.js';
import { pgUrl, withDatabase } from '../support/db.js';

/** The fixed schema every sample runs against. */
const SETUP = `
CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE t (id int PRIMARY KEY, a int, b text);
CREATE INDEX t_b_idx ON t (b);
CREATE FUNCTION trg_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
`;

const PT = `CREATE TABLE pt (id int, a int) PARTITION BY RANGE (id);`;
const CHECK = `ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0);`;
const FK = `ALTER TABLE t ADD CONSTRAINT t_a_fkey FOREIGN KEY (a) REFERENCES p (id);`;
const TRIGGER = `CREATE TRIGGER t_trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg_fn();`;
const MV = `CREATE MATERIALIZED VIEW mv AS SELECT id, a FROM t; CREATE UNIQUE INDEX mv_id_idx ON mv (id);`;
const PT_1 = `${PT} CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (100);`;
const FN = `CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;`;
const ENUM = `CREATE TYPE e AS ENUM ('a');`;
const DOMAIN = `CREATE DOMAIN posint AS int; ALTER TABLE t ADD COLUMN d posint;`;
const POLICY = `CREATE POLICY t_p ON t USING (true);`;
const V = `CREATE VIEW v AS SELECT id FROM t;`;

/** Extra setup per fact, run after SETUP (or instead of it, with `replace`). */
const SETUP_EXTRA: Record<string, string | { replace: string }> = {
  'drop-not-null': `ALTER TABLE t ALTER COLUMN a SET NOT NULL;`,
  'add-identity': `ALTER TABLE t ALTER COLUMN a SET NOT NULL;`,
  'validate-constraint': `ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0) NOT VALID;`,
  'validate-foreign-key': `ALTER TABLE t ADD CONSTRAINT t_a_fkey FOREIGN KEY (a) REFERENCES p (id) NOT VALID;`,
  'drop-constraint': CHECK,
  'rename-constraint': CHECK,
  'drop-foreign-key': FK,
  'drop-table-with-foreign-keys': FK,
  'add-constraint-using-index': `CREATE UNIQUE INDEX t_b_uidx ON t (b);`,
  'set-expression': `ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (a + 1) STORED;`,
  'drop-expression': `ALTER TABLE t ADD COLUMN g int GENERATED ALWAYS AS (a + 1) STORED;`,
  'alter-column-type-verify': `CREATE DOMAIN posint AS int CHECK (VALUE > 0);`,
  'add-column-domain-constraints': `CREATE DOMAIN posint AS int CHECK (VALUE > 0);`,
  'set-not-null-proven': `ALTER TABLE t ADD CONSTRAINT t_a_nn CHECK (a IS NOT NULL);`,
  'add-primary-key-nullable': { replace: `CREATE TABLE t (id int, a int, b text);` },
  'set-schema': `CREATE SCHEMA s2;`,
  'set-access-method': `CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;`,
  'trigger-enable': TRIGGER,
  'drop-trigger': TRIGGER,
  'rule-enable': `CREATE RULE t_r AS ON INSERT TO t DO ALSO NOTIFY t_changed;`,
  inherit: `CREATE TABLE t_parent (id int, a int, b text);`,
  'attach-partition': `${PT} CREATE TABLE pt_1 (id int, a int);`,
  'attach-partition-default': `${PT} CREATE TABLE pt_def PARTITION OF pt DEFAULT; CREATE TABLE pt_1 (id int, a int);`,
  'detach-partition': `${PT} CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (100);`,
  'detach-partition-concurrently': `${PT} CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (100);`,
  'create-partition-of': `${PT} CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (100);`,
  'refresh-materialized-view': MV,
  'refresh-materialized-view-concurrently': MV,
  'drop-view': `CREATE VIEW v AS SELECT id FROM t;`,
  'create-view': `CREATE VIEW v AS SELECT id FROM t;`,
  'enum-add-value': ENUM,
  'enum-add-value-before': ENUM,
  'enum-rename-value': ENUM,
  'create-index-on-only': PT_1,
  'alter-index-attach-partition': `${PT_1} CREATE INDEX pt_a_idx ON ONLY pt (a); CREATE INDEX pt_1_a_idx ON pt_1 (a);`,
  'alter-index-set-exclusive': `ALTER TABLE t ADD COLUMN j int[]; CREATE INDEX t_j_idx ON t USING gin (j);`,
  'create-partition-of-default': `${PT} CREATE TABLE pt_def PARTITION OF pt DEFAULT; CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (0) TO (100);`,
  'alter-constraint': FK,
  'alter-constraint-not-enforced': FK,
  'alter-constraint-enforced': `${FK} ALTER TABLE t ALTER CONSTRAINT t_a_fkey NOT ENFORCED;`,
  'no-inherit': `CREATE TABLE t_parent (id int, a int, b text); ALTER TABLE t INHERIT t_parent;`,
  'refresh-materialized-view-with-no-data': MV,
  'drop-table-cascade': V,
  'drop-view-cascade': `${V} CREATE VIEW v2 AS SELECT id FROM v;`,
  'drop-schema': `CREATE SCHEMA s2;`,
  'drop-schema-cascade': `CREATE SCHEMA s2; CREATE TABLE s2.t2 (id int); CREATE VIEW s2.v2 AS SELECT id FROM s2.t2;`,
  'drop-function': FN,
  'drop-function-cascade': `${FN} ALTER TABLE t ALTER COLUMN a SET DEFAULT f();`,
  'drop-type': ENUM,
  'drop-type-cascade': `${ENUM} ALTER TABLE t ADD COLUMN c e;`,
  'drop-sequence': `CREATE SEQUENCE s;`,
  'drop-sequence-cascade': `CREATE SEQUENCE s; ALTER TABLE t ALTER COLUMN a SET DEFAULT nextval('s');`,
  'create-or-replace-trigger': TRIGGER,
  'alter-trigger-rename': TRIGGER,
  'alter-policy': POLICY,
  'drop-policy': POLICY,
  'alter-domain-add-constraint': DOMAIN,
  'alter-domain-add-constraint-not-valid': DOMAIN,
  'alter-domain-validate-constraint': `${DOMAIN} ALTER DOMAIN posint ADD CONSTRAINT posint_check CHECK (VALUE > 0) NOT VALID;`,
  'alter-domain-set-not-null': DOMAIN,
  'alter-domain-other': DOMAIN,
};

/** Which relation each lock target means in the setup schema. */
const TARGETS: Record<LockTarget, string> = {
  table: 'public.t',
  index: 'public.t_b_idx',
  'referenced-table': 'public.p',
  parent: 'public.pt',
  partition: 'public.pt_1',
  'default-partition': 'public.pt_def',
  'partition-index': 'public.pt_1_a_idx',
  'using-table': 'public.t',
  dependent: 'public.v',
};
const TARGET_OVERRIDES: Record<string, Partial<Record<LockTarget, string>>> = {
  'refresh-materialized-view': { table: 'public.mv' },
  'refresh-materialized-view-concurrently': { table: 'public.mv' },
  'drop-view': { table: 'public.v' },
  'create-view': { table: 'public.v' },
  'create-index-on-only': { table: 'public.pt' },
  'alter-index-attach-partition': { table: 'public.pt', index: 'public.pt_a_idx' },
  'alter-index-set-exclusive': { index: 'public.t_j_idx' },
  'rename-constraint-index': { index: 'public.t_pkey' },
  'replica-identity-index': { index: 'public.t_pkey' },
  inherit: { parent: 'public.t_parent' },
  'no-inherit': { parent: 'public.t_parent' },
  'refresh-materialized-view-with-no-data': { table: 'public.mv' },
  'drop-view-cascade': { table: 'public.v', dependent: 'public.v2' },
  'drop-schema-cascade': { dependent: 's2.t2' },
  'drop-function-cascade': { dependent: 'public.t' },
  'drop-type-cascade': { dependent: 'public.t' },
  'drop-sequence': { table: 'public.s' },
  'drop-sequence-cascade': { table: 'public.s', dependent: 'public.t' },
};

/** Seed rows per fact, where an empty table would hide the behaviour (sampled VACUUM locks). */
const SEED: Record<string, number> = { vacuum: 20_000, 'vacuum-full': 2_000 };

type EngineName = 'pglite' | 'pg15' | 'pg18';

/**
 * Disagreements between the table and the servers, per fact and engine. Each is
 * a bug in src/locks/table.ts (reported, not fixed here): the case runs as
 * `it.fails` so the suite stays green while the disagreement stays recorded.
 */
const KNOWN_DISAGREEMENTS: Record<string, { engines: EngineName[]; why: string }> = {
  // Empty: every disagreement found so far was fixed in table.ts (alter-column-type-verify rewrites;
  // drop-foreign-key takes ACCESS EXCLUSIVE on the referenced table).
};

const RESET = `
DROP SCHEMA IF EXISTS s2 CASCADE;
DROP SCHEMA public CASCADE;
CREATE SCHEMA public;
DROP ACCESS METHOD IF EXISTS heap2;
`;

const SAMPLED = LOCK_FACTS.filter((f) => f.sample !== undefined);

interface Outcome {
  fact: string;
  engine: EngineName;
  major: number;
  statement: TracedStatement | null;
  error: string | null;
  ms: number;
}

async function runAll(engine: Engine, name: EngineName): Promise<Map<string, Outcome>> {
  const out = new Map<string, Outcome>();
  const v = await engine.query<{ n: string }>(`SELECT current_setting('server_version_num') AS n`);
  const major = Math.floor(Number(v[0]?.n) / 10000);
  for (const f of SAMPLED) {
    const t0 = Date.now();
    await engine.exec(RESET);
    const extra = SETUP_EXTRA[f.id];
    const setup = typeof extra === 'object' ? extra.replace : `${SETUP}\n${extra ?? ''}`;
    const r = await traceMigration([{ path: `${f.id}.sql`, text: f.sample! }], {
      engine,
      history: [{ path: 'setup.sql', text: setup }],
      seedRows: SEED[f.id] ?? 0,
    });
    const stmt = r.statements[0] ?? null;
    out.set(f.id, { fact: f.id, engine: name, major, statement: stmt, error: stmt?.error ?? r.error, ms: Date.now() - t0 });
  }
  return out;
}

/** What the engine did, in the table's terms: strongest mode per target, and whether a target was rewritten. */
export function compare(id: string, major: number, s: TracedStatement | null, error: string | null) {
  const fact = lockFact(id, major);
  const targets = { ...TARGETS, ...TARGET_OVERRIDES[id] };
  const claimed = fact.locks.map((l) => ({ target: l.target, relation: targets[l.target], mode: l.mode }));
  const observed = claimed.map((c) => ({ ...c, mode: s?.locks.find((l) => l.relation === c.relation)?.mode ?? null }));
  const targetRelations = new Set([targets.table, ...claimed.map((c) => c.relation)]);
  if (id.startsWith('reindex') || id.startsWith('alter-index')) targetRelations.add(targets.index);
  const rewrite = (s?.rewrites ?? []).some((r) => r.how === 'rewrite' && targetRelations.has(r.relation));
  return { fact, claimed, observed, rewrite, error, observable: s?.locksObserved ?? 'not-observable' };
}

const results = new Map<EngineName, Map<string, Outcome>>();
const timings: Record<string, number> = {};

function casesFor(name: EngineName, available: () => boolean) {
  describe.skipIf(!available())(`lock facts on ${name}`, () => {
    for (const f of SAMPLED) {
      const known = KNOWN_DISAGREEMENTS[f.id];
      const fails = known?.engines.includes(name) ?? false;
      (fails ? it.fails : it)(`${f.id}: ${f.sample}`, () => {
        const o = results.get(name)?.get(f.id);
        expect(o, 'engine run').toBeDefined();
        const c = compare(f.id, o!.major, o!.statement, o!.error);
        if (c.fact.unsupported) {
          expect(c.error, `${f.id} is marked unsupported on ${o!.major}, but it ran`).not.toBeNull();
          return;
        }
        expect(c.error).toBeNull();
        if (c.observable !== 'not-observable') {
          const claimed = c.claimed.map((x) => `${x.target}=${x.mode}`);
          const observed = c.observed.map((x) => `${x.target}=${x.mode ?? 'none'}`);
          if (c.observable === 'exact') {
            expect(observed).toEqual(claimed);
            if (c.claimed.length === 0) expect(o!.statement!.locks.filter((l) => l.mode !== 'ACCESS SHARE')).toEqual([]);
          } else {
            // Sampled from a second connection while the statement ran: a sample can miss a later, stronger
            // lock (DETACH ... CONCURRENTLY takes SHARE UPDATE EXCLUSIVE first, ACCESS EXCLUSIVE in its second
            // transaction), so what was seen must be at most the claimed mode; anything stronger disagrees.
            for (const x of c.observed) {
              if (x.mode === null) continue;
              expect(lockStrength(x.mode), `${x.target}: observed ${x.mode}, claimed ${c.claimed.find((y) => y.target === x.target)?.mode}`).toBeLessThanOrEqual(
                lockStrength(c.claimed.find((y) => y.target === x.target)!.mode),
              );
            }
          }
        }
        expect(c.rewrite, 'rewrite').toBe(c.fact.rewrite);
      });
    }
  });
}

const hasPglite = () => true;
beforeAll(async () => {
  const runs: Array<Promise<void>> = [];
  const timed = async (name: EngineName, fn: () => Promise<Map<string, Outcome>>) => {
    const t0 = Date.now();
    results.set(name, await fn());
    timings[name] = Date.now() - t0;
  };
  runs.push(
    timed('pglite', async () => {
      const e = await PgliteEngine.create();
      try {
        return await runAll(e, 'pglite');
      } finally {
        await e.close();
      }
    }),
  );
  for (const major of [15, 18] as const) {
    if (!pgUrl(major)) continue;
    runs.push(
      timed(`pg${major}`, () =>
        withDatabase(major, async (url) => {
          const e = await ServerEngine.connect(url);
          try {
            return await runAll(e, `pg${major}`);
          } finally {
            await e.close();
          }
        }),
      ),
    );
  }
  await Promise.all(runs);
}, 600_000);

afterAll(() => {
  const rows = [];
  for (const [engine, m] of results) {
    for (const o of m.values()) {
      const c = compare(o.fact, o.major, o.statement, o.error);
      rows.push({
        engine,
        major: o.major,
        fact: o.fact,
        unsupported: c.fact.unsupported,
        error: o.error,
        observable: c.observable,
        claimed: c.claimed.map((x) => `${x.target}=${x.mode}`),
        observed: c.observed.map((x) => `${x.target}=${x.mode ?? 'none'}`),
        allLocks: (o.statement?.locks ?? []).map((l) => `${l.relation}=${l.mode}`),
        rewriteClaimed: c.fact.rewrite,
        rewriteObserved: c.rewrite,
        rewrites: (o.statement?.rewrites ?? []).map((r) => `${r.relation}:${r.how}`),
        ms: o.ms,
      });
    }
  }
  writeFileSync(path.join(tmpdir(), 'ddlguard-conformance.json'), JSON.stringify({ timings, rows }, null, 1));
});

casesFor('pglite', hasPglite);
casesFor('pg15', () => pgUrl(15) !== undefined);
casesFor('pg18', () => pgUrl(18) !== undefined);
