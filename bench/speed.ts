/**
 * Start-up and throughput against squawk: `node <bin> lint --format json` (the package's bin)
 * and squawk-cli's npm entry (`node_modules/.bin/squawk --reporter json`, a node start plus the
 * Rust binary) run in turn, A B A B ..., N times each after a warm-up; prints each side's median
 * wall time and peak RSS (/usr/bin/time -f %M) and the median of the pairwise ratios.
 *
 *   1. one file (target: at most 1.5x squawk)
 *   2. the corpus, cold, no cache (target: at most 2x)
 *   3. the corpus again with --cache on unchanged files (target: at most 1.0x squawk's run)
 *
 * Run: `npm run build && node dist/bench/speed.js <corpus-dir> [runs=15] [one-file.sql]`.
 * The corpus is a directory of migrations (e.g. Lemmy's `migrations/*\/up.sql`); squawk is given
 * the same files. The one file defaults to the corpus file nearest the median size. The machine
 * is shared: quote medians and ratios, and rerun when `uptime` shows load.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
const BIN = path.join(root, pkg.bin.ddlguard!);
const SQUAWK = path.join(root, 'node_modules/.bin/squawk');
const TIME = '/usr/bin/time';

interface Sample {
  ms: number;
  /** Peak resident set of the largest process (KiB), when /usr/bin/time is there. */
  rssKiB: number | null;
  code: number | null;
  bytes: number;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-speed-'));

/** Runs a command once: wall time from spawn to exit, and its peak RSS. */
function once(cmd: string[], cwd: string): Sample {
  const useTime = existsSync(TIME);
  const rssFile = path.join(tmp, 'rss');
  const argv = useTime ? [TIME, '-f', '%M', '-o', rssFile, ...cmd] : cmd;
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.error) throw r.error;
  let rssKiB: number | null = null;
  if (useTime) {
    const n = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
    rssKiB = Number.isFinite(n) ? n : null;
  }
  return { ms, rssKiB, code: r.status, bytes: r.stdout.length };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Row {
  name: string;
  target: number;
  a: Sample[];
  b: Sample[];
}

/** A and B in turn, `runs` times each after one warm-up pair. */
function pair(name: string, target: number, a: string[], b: string[], runs: number, cwd: string): Row {
  once(a, cwd);
  once(b, cwd);
  const row: Row = { name, target, a: [], b: [] };
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so neither always follows the other.
    if (i % 2 === 0) {
      row.a.push(once(a, cwd));
      row.b.push(once(b, cwd));
    } else {
      row.b.push(once(b, cwd));
      row.a.push(once(a, cwd));
    }
  }
  return row;
}

function sqlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.sql') && !/(^|[./])down\.sql$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

function main(): void {
  const corpus = process.argv[2];
  const runs = Number(process.argv[3] ?? 15);
  if (!corpus || !statSync(corpus, { throwIfNoEntry: false })?.isDirectory()) {
    process.stderr.write('usage: node dist/bench/speed.js <corpus-dir> [runs=15] [one-file.sql]\n');
    process.exit(2);
  }
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\``);
  const dir = path.resolve(corpus);
  const files = sqlFiles(dir);
  const bySize = [...files].sort((x, y) => statSync(x).size - statSync(y).size);
  const one = process.argv[4] ? path.resolve(process.argv[4]) : bySize[bySize.length >> 1]!;
  const cacheDir = path.join(tmp, 'cache') + path.sep;
  const ddl = (...args: string[]) => [process.execPath, BIN, 'lint', '--format', 'json', ...args];
  const squawk = (...paths: string[]) => [SQUAWK, '--reporter', 'json', ...paths];

  // The cache for the rerun: filled once by a run over the same, unchanged files.
  once(ddl('--cache', '--cache-location', cacheDir, dir), dir);

  const rows = [
    pair(`one file (${path.relative(dir, one)}, ${statSync(one).size} bytes)`, 1.5, ddl(one), squawk(one), runs, dir),
    pair(`corpus, cold (${files.length} files)`, 2.0, ddl(dir), squawk(...files), runs, dir),
    pair(`corpus, rerun with --cache (${files.length} unchanged files)`, 1.0, ddl('--cache', '--cache-location', cacheDir, dir), squawk(...files), runs, dir),
  ];

  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const mib = (s: Sample[]) => {
    const r = s.map((x) => x.rssKiB).filter((x): x is number => x !== null);
    return r.length ? `${(median(r) / 1024).toFixed(1)} MiB` : '-';
  };
  process.stdout.write(`ddlguard (node ${path.relative(root, BIN)} lint --format json) vs squawk-cli (node_modules/.bin/squawk --reporter json)\n`);
  process.stdout.write(`${runs} runs each, alternating, after a warm-up pair; node ${process.version}; ${os.cpus().length} CPUs; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n\n`);
  for (const r of rows) {
    const ratios = r.a.map((s, i) => s.ms / r.b[i]!.ms);
    const ratio = median(ratios);
    process.stdout.write(`${r.name}\n`);
    process.stdout.write(`  ddlguard  median ${ms(median(r.a.map((s) => s.ms))).padStart(7)}  peak RSS ${mib(r.a)}  (exit ${r.a[0]!.code}, ${r.a[0]!.bytes} bytes out)\n`);
    process.stdout.write(`  squawk    median ${ms(median(r.b.map((s) => s.ms))).padStart(7)}  peak RSS ${mib(r.b)}  (exit ${r.b[0]!.code}, ${r.b[0]!.bytes} bytes out)\n`);
    process.stdout.write(`  ratio     median ${ratio.toFixed(2)}x (min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)})  target <= ${r.target.toFixed(1)}x  ${ratio <= r.target ? 'met' : 'NOT met'}\n\n`);
  }
  rmSync(tmp, { recursive: true, force: true });
}

main();
