/**
 * Start-up and throughput against squawk: `node <bin> lint --format json` (the package's bin)
 * and squawk-cli's npm entry (`node_modules/.bin/squawk`, a node start plus the Rust binary),
 * with its default output (as issue 15 measured it) and with `--reporter json`, run in turn
 * N times each after a warm-up; prints each one's median wall time and peak RSS
 * (/usr/bin/time -f %M) and the median of the run-by-run ratios. The targets are read
 * against squawk's default output.
 *
 *   1. one file (target: at most 1.5x squawk)
 *   2. the corpus, cold, no cache (target: at most 2x)
 *   3. the corpus again with --cache on unchanged files (target: at most 1.0x squawk's run)
 *
 * Run: `npm run build && node dist/bench/speed.js <corpus-dir> [runs=15] [one-file.sql]`. Both
 * tools run on the node that runs the bench: `<path to node 24> dist/bench/speed.js ...` compares
 * them on Node 24.
 * The corpus is a directory of migrations (e.g. Lemmy's `migrations/*\/up.sql`); squawk is given
 * the same files. The one file defaults to the corpus file nearest the median size. The machine
 * is shared: quote medians and ratios, and rerun when `uptime` shows load.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
const BIN = path.join(root, pkg.bin.ddlguard!);
const SQUAWK = realpathSync(path.join(root, 'node_modules/.bin/squawk'));
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
  /** ddlguard, squawk (its default reporter), squawk --reporter json. */
  runs: Sample[][];
}

/** The commands in turn (rotating which goes first), `runs` times each after one warm-up round. */
function rotate(name: string, target: number, cmds: string[][], runs: number, cwd: string): Row {
  for (const c of cmds) once(c, cwd);
  const row: Row = { name, target, runs: cmds.map(() => []) };
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < cmds.length; k++) {
      const j = (i + k) % cmds.length;
      row.runs[j]!.push(once(cmds[j]!, cwd));
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
  // squawk's npm entry is a node script: run by the same node as ddlguard, not the PATH's.
  const squawk = (...paths: string[]) => [process.execPath, SQUAWK, ...paths];
  const squawkJson = (...paths: string[]) => [process.execPath, SQUAWK, '--reporter', 'json', ...paths];

  // The cache for the rerun: filled once by a run over the same, unchanged files.
  once(ddl('--cache', '--cache-location', cacheDir, dir), dir);

  const rows = [
    rotate(`one file (${path.relative(dir, one)}, ${statSync(one).size} bytes)`, 1.5, [ddl(one), squawk(one), squawkJson(one)], runs, dir),
    rotate(`corpus, cold (${files.length} files)`, 2.0, [ddl(dir), squawk(...files), squawkJson(...files)], runs, dir),
    rotate(`corpus, rerun with --cache (${files.length} unchanged files)`, 1.0, [ddl('--cache', '--cache-location', cacheDir, dir), squawk(...files), squawkJson(...files)], runs, dir),
  ];

  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const mib = (s: Sample[]) => {
    const r = s.map((x) => x.rssKiB).filter((x): x is number => x !== null);
    return r.length ? `${(median(r) / 1024).toFixed(1)} MiB` : '-';
  };
  const names = ['ddlguard', 'squawk', 'squawk json'];
  process.stdout.write(`ddlguard: node ${path.relative(root, BIN)} lint --format json; squawk: node_modules/.bin/squawk (its default output, as issue 15 measured); squawk json: with --reporter json\n`);
  process.stdout.write(`${runs} runs each, in turn, after a warm-up round; node ${process.version}; ${os.cpus().length} CPUs; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n\n`);
  for (const r of rows) {
    process.stdout.write(`${r.name}\n`);
    r.runs.forEach((s, k) => {
      process.stdout.write(`  ${names[k]!.padEnd(12)} median ${ms(median(s.map((x) => x.ms))).padStart(7)}  peak RSS ${mib(s).padStart(9)}  (exit ${s[0]!.code}, ${s[0]!.bytes} bytes out)\n`);
    });
    for (const k of [1, 2]) {
      const ratios = r.runs[0]!.map((s, i) => s.ms / r.runs[k]![i]!.ms);
      const ratio = median(ratios);
      const verdict = k === 1 ? `  target <= ${r.target.toFixed(1)}x  ${ratio <= r.target ? 'met' : 'NOT met'}` : '';
      process.stdout.write(`  ratio to ${names[k]!.padEnd(12)} median ${ratio.toFixed(2)}x (min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)})${verdict}\n`);
    }
    process.stdout.write('\n');
  }
  rmSync(tmp, { recursive: true, force: true });
}

main();
