/**
 * The GitHub Action's set-up cost: how long from `node <entry>` to its first output, and to
 * the end, on a pull request that adds one risky migration (the committed bundle needs no
 * install step). Optionally times the old composite action's set-up: `npm ci` of the whole
 * repository in a clean copy of the action folder (which also runs `prepare`, i.e. tsc).
 *
 *   npm run build && node dist/bench/action-setup.js [runs=10] [--npm-ci <git ref>] [--old-entry <dist/src/cli/action.js of an installed copy>]
 *
 * With --old-entry, the old entry and the bundle are run alternately and both are reported.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const argv = process.argv.slice(2);
const flag = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv.splice(i, 2)[1] : undefined;
};
const npmCiRef = flag('--npm-ci');
const oldEntry = flag('--old-entry');
const runs = Number(argv[0] ?? 10);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const git = (cwd: string, ...a: string[]) => execFileSync('git', a, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' } });

// A pull request: one migration in the base, one risky migration added.
const repo = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-bench-pr-'));
mkdirSync(path.join(repo, 'db'));
git(repo, 'init', '-q', '-b', 'main');
writeFileSync(path.join(repo, 'db/001_users.sql'), 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n');
git(repo, 'add', '.');
git(repo, 'commit', '-qm', 'base');
const base = git(repo, 'rev-parse', 'HEAD').trim();
writeFileSync(path.join(repo, 'db/002_index.sql'), 'CREATE INDEX users_email_idx ON users (email);\n');
git(repo, 'add', '.');
git(repo, 'commit', '-qm', 'pr');
const event = path.join(repo, '..', `${path.basename(repo)}.json`);
writeFileSync(event, JSON.stringify({ pull_request: { number: 1, base: { sha: base } } }));

// The action folder as the runner downloads it: the committed files, no node_modules.
const action = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-bench-action-'));
for (const f of ['action.yml', 'package.json', 'action']) cpSync(path.join(root, f), path.join(action, f), { recursive: true });
const bundle = path.join(action, 'action/dist/index.js');

/** ms to the first byte of output and to the exit. */
function once(entry: string): Promise<{ first: number; total: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
    let first = -1;
    const child = spawn(process.execPath, [entry], {
      cwd: repo,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, GITHUB_ACTIONS: 'true', GITHUB_EVENT_PATH: event, GITHUB_WORKSPACE: repo, INPUT_PATHS: 'db', 'INPUT_FAIL-ON': 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.once('data', () => (first = ms()));
    child.on('error', reject);
    child.on('close', () => resolve({ first, total: ms() }));
  });
}

const entries: Array<[string, string]> = [['bundle (action/dist/index.js)', bundle]];
if (oldEntry) entries.push(['old entry (dist/src/cli/action.js after npm ci)', path.resolve(oldEntry)]);
const times = new Map(entries.map(([name]) => [name, { first: [] as number[], total: [] as number[] }]));
await once(bundle); // warm the file cache
for (let i = 0; i < runs; i++) {
  for (const [name, entry] of i % 2 ? [...entries].reverse() : entries) {
    const t = await once(entry);
    times.get(name)!.first.push(t.first);
    times.get(name)!.total.push(t.total);
  }
}
console.log(`node ${process.version}, ${runs} runs each, alternating; medians`);
for (const [name, t] of times) console.log(`${name}: first output ${median(t.first).toFixed(0)} ms, whole run ${median(t.total).toFixed(0)} ms; install step: ${name.startsWith('bundle') ? 'none' : 'npm ci'}`);

if (npmCiRef) {
  // The old composite action's "Install ddlguard" step, in a clean copy of the action folder.
  const copy = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-bench-npmci-'));
  execFileSync('sh', ['-c', `git -C "${root}" archive "${npmCiRef}" | tar -x -C "${copy}"`]);
  const t0 = process.hrtime.bigint();
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: copy, stdio: 'ignore' });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const size = execFileSync('du', ['-sm', path.join(copy, 'node_modules')], { encoding: 'utf8' }).split('\t')[0];
  console.log(`old set-up: npm ci of ${npmCiRef} in ${copy}: ${s.toFixed(1)} s, node_modules ${size} MB (npm cache as this machine has it; a runner starts cold)`);
}
