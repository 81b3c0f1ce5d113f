/**
 * Lint throughput: generates a corpus of typical migration files, lints it in-process
 * and through the CLI, times squawk (npm squawk-cli) on the same files, and prints the
 * figures. Run: `npm run build && node dist/bench/lint.js [files=2000]`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lint } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

const TEMPLATES: Array<(i: number) => string> = [
  (i) => `CREATE TABLE t${i} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  name text NOT NULL,\n  email varchar(255),\n  created_at timestamptz NOT NULL DEFAULT now()\n);\nCREATE INDEX t${i}_email_idx ON t${i} (email);\n`,
  (i) => `-- add a column\nALTER TABLE t${i - 1} ADD COLUMN status text DEFAULT 'new';\nALTER TABLE t${i - 1} ADD COLUMN token uuid DEFAULT gen_random_uuid();\n`,
  (i) => `SET lock_timeout = '2s';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t${i - 2}_name_idx ON t${i - 2} (name);\n`,
  (i) => `BEGIN;\nALTER TABLE t${i - 3} ADD CONSTRAINT t${i - 3}_name_check CHECK (char_length(name) < 200) NOT VALID;\nCOMMIT;\nALTER TABLE t${i - 3} VALIDATE CONSTRAINT t${i - 3}_name_check;\n`,
  (i) => `ALTER TABLE t${i - 4} ALTER COLUMN email TYPE text;\nALTER TABLE t${i - 4} ALTER COLUMN name SET NOT NULL;\nUPDATE t${i - 4} SET status = 'active' WHERE status IS NULL;\n`,
  (i) => `CREATE OR REPLACE FUNCTION f${i}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.created_at := now();\n  RETURN NEW;\nEND\n$$;\nCREATE TRIGGER t${i - 5}_trg BEFORE INSERT ON t${i - 5} FOR EACH ROW EXECUTE FUNCTION f${i}();\n`,
  (i) => `ALTER TABLE t${i - 6} DROP COLUMN IF EXISTS legacy;\nCOMMENT ON TABLE t${i - 6} IS 'table number ${i}';\nGRANT SELECT ON t${i - 6} TO PUBLIC;\n`,
  (i) => `DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood${i}') THEN\n    CREATE TYPE mood${i} AS ENUM ('happy', 'sad');\n  END IF;\nEND\n$$;\n`,
];

function generate(dir: string, n: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const tpl = TEMPLATES[i % TEMPLATES.length]!;
    const idx = i - (i % TEMPLATES.length);
    writeFileSync(path.join(dir, `${String(i + 1).padStart(5, '0')}_m.sql`), tpl(idx + (i % TEMPLATES.length)));
  }
}

function wall(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 2000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-bench-'));
  const dir = path.join(tmp, 'migrations');
  generate(dir, n);
  const files = readdirSync(dir).map((f) => path.join(dir, f));
  const bytes = files.reduce((s, f) => s + statSync(f).size, 0);
  try {
    // In-process: includes discovery, reading, parsing, replay and all rules.
    await lint({ paths: [dir], cwd: tmp }); // warm-up
    const runs: number[] = [];
    let findings = 0;
    for (let r = 0; r < 3; r++) {
      const t = process.hrtime.bigint();
      const res = await lint({ paths: [dir], cwd: tmp });
      runs.push(Number(process.hrtime.bigint() - t) / 1e6);
      findings = res.findings.length;
    }
    const best = Math.min(...runs);
    const cli = path.join(root, 'dist/src/cli/main.js');
    const cliAll = wall(() => spawnSync(process.execPath, [cli, 'lint', dir, '--format', 'json'], { stdio: 'ignore' }));
    const thousand = files.slice(0, 1000);
    const cli1000 = wall(() => spawnSync(process.execPath, [cli, 'lint', ...thousand, '--format', 'json'], { stdio: 'ignore' }));
    // The targets are for one core: pin with taskset where it exists.
    const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
    const oneCore = (args: string[]) => wall(() => spawnSync('taskset', ['-c', '0', process.execPath, ...args], { stdio: 'ignore' }));
    const cli1000OneCore = pinned ? oneCore([cli, 'lint', ...thousand, '--format', 'json']) : NaN;
    const oneFileOneCore: number[] = [];
    if (pinned) for (let r = 0; r < 7; r++) oneFileOneCore.push(oneCore([cli, 'lint', files[1]!]));
    const one = [] as number[];
    for (let r = 0; r < 5; r++) one.push(wall(() => spawnSync(process.execPath, [cli, 'lint', files[1]!], { stdio: 'ignore' })));
    console.log(`corpus: ${n} files, ${(bytes / 1e6).toFixed(2)} MB, ${findings} findings`);
    console.log(`ddlguard in-process: ${best.toFixed(0)} ms  -> ${(n / (best / 1000)).toFixed(0)} files/s, ${(bytes / 1e6 / (best / 1000)).toFixed(2)} MB/s`);
    console.log(`ddlguard CLI, all files: ${cliAll.toFixed(0)} ms wall`);
    console.log(`ddlguard CLI, 1,000 files: ${cli1000.toFixed(0)} ms wall (target < 1000 ms)`);
    console.log(`ddlguard CLI, one file: median ${one.sort((a, b) => a - b)[2]!.toFixed(0)} ms wall (target < 150 ms)`);
    if (pinned) {
      console.log(`one core (taskset -c 0): 1,000 files ${cli1000OneCore.toFixed(0)} ms wall (target < 1000 ms); one file median ${oneFileOneCore.sort((a, b) => a - b)[3]!.toFixed(0)} ms (target < 150 ms)`);
    }
    const startup: number[] = [];
    for (let r = 0; r < 5; r++) startup.push(wall(() => spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' })));
    console.log(`for scale: node -e 0 takes ${startup.sort((a, b) => a - b)[2]!.toFixed(0)} ms here`);
    const squawk = path.join(root, 'node_modules/.bin/squawk');
    try {
      execFileSync(squawk, ['--version'], { stdio: 'ignore' });
      const sq = wall(() => spawnSync(squawk, ['--reporter', 'json', ...files], { stdio: 'ignore', maxBuffer: 1 << 30 }));
      console.log(`squawk ${execFileSync(squawk, ['--version']).toString().trim()}: ${sq.toFixed(0)} ms wall on the same files`);
      console.log(`ratio ddlguard CLI / squawk: ${(cliAll / sq).toFixed(2)}x`);
    } catch {
      console.log('squawk: not installed (npm i -D squawk-cli) - ratio not measured');
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
