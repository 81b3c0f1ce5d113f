/**
 * Adopting ddlguard on an existing project (the built CLI, in git repositories made here):
 * `init` records the 50 migrations that exist as released (the baseline), so plain
 * `ddlguard lint` and the pre-commit hook report only what is new, `--all` everything,
 * and `--since` chooses from git as before. Files added before the cut-off later are not
 * released: found by the digest, by git, or (when nothing can tell) all linted with a note.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');
const N = 50;
/** golang-migrate versions with gaps, so a file can be added between two of them later. */
const version = (i: number) => `20200101${String(i * 100).padStart(6, '0')}`;
const up = (i: number) => `db/migrations/${version(i)}_m${i}.up.sql`;

function project() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-adopt-'));
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, encoding: 'utf8', env });
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };
  const commit = (msg: string) => {
    git('add', '-A');
    git('commit', '-qm', msg);
    return git('rev-parse', 'HEAD').trim();
  };
  const cli = (...args: string[]) => {
    const e: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete e.DATABASE_URL;
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: e });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const lint = (...args: string[]) => {
    const r = cli('lint', '--format', 'json', ...args);
    const out = r.stdout ? JSON.parse(r.stdout) : null;
    return { ...r, out, files: [...new Set<string>((out?.findings ?? []).map((f: any) => f.file))].sort(), notes: (out?.notes ?? []).map((n: any) => n.message) as string[] };
  };
  git('init', '-q', '-b', 'main');
  // 50 migrations, most of them risky (an index built without CONCURRENTLY on an existing table).
  write(up(1), 'CREATE TABLE users (id bigint PRIMARY KEY, email text, name text);\n');
  write(`db/migrations/${version(1)}_m1.down.sql`, 'DROP TABLE users;\n');
  for (let i = 2; i <= N; i++) {
    write(up(i), `ALTER TABLE users ADD COLUMN c${i} int;\nCREATE INDEX users_c${i}_idx ON users (c${i});\n`);
    write(`db/migrations/${version(i)}_m${i}.down.sql`, `ALTER TABLE users DROP COLUMN c${i};\n`);
  }
  return { dir, git, write, commit, cli, lint };
}

const risky = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n";

describe('adopting ddlguard on a project with 50 migrations', () => {
  it('init counts only what it will lint, names the down files it skips, and records the baseline', () => {
    const p = project();
    const init = p.cli('init');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(`migrations: db/migrations (${N} migrations to lint; ${N} down files not linted: db/migrations/*.down.sql (${N}))`);
    expect(init.stdout).toContain(`baseline:   db/migrations/ (golang-migrate): ${N} migrations up to ${version(N)} recorded as released`);
    const config = JSON.parse(readFileSync(path.join(p.dir, 'ddlguard.config.json'), 'utf8'));
    expect(config.baseline.released).toEqual([{ root: 'db/migrations', framework: 'golang-migrate', last: version(N), count: N, digest: expect.stringMatching(/^sum64:[0-9a-f]{16}$/) }]);
  });

  it('plain lint reports only the new migration; --all reports all of them; --since behaves as before', () => {
    const p = project();
    p.cli('init');
    const adopted = p.commit('adopt ddlguard');
    // nothing new yet
    const none = p.cli('lint');
    expect(none.code).toBe(0);
    expect(none.stdout).toContain(`no migrations to lint: all ${N} are released`);
    p.write(up(N + 1), risky);
    const r = p.lint();
    expect(r.code).toBe(1);
    expect(r.files).toEqual([up(N + 1)]);
    expect(r.out.summary).toMatchObject({ files: 1, historyFiles: N });
    expect(r.notes).toContain(`baseline: ${N} released migrations (recorded in ddlguard.config.json) only inform the schema; \`--all\` lints them too.`);
    // the released history still informs the model: users has rows' worth of columns, SET NOT NULL on an existing table
    expect(r.out.findings.map((f: any) => f.rule)).toContain('set-not-null-scan');
    const all = p.lint('--all');
    expect(all.files.length).toBe(N); // 49 risky released ones and the new one
    expect(all.files).toContain(up(2));
    expect(all.files).toContain(up(N + 1));
    expect(all.notes).toEqual([]);
    // --since picks from git, baseline or not: an edited released file is linted there
    p.write(up(2), readFileSync(path.join(p.dir, up(2)), 'utf8') + 'CREATE INDEX users_name_idx ON users (name);\n');
    expect(p.lint('--since', adopted).files).toEqual([up(2), up(N + 1)]);
    expect(p.lint().files).toEqual([up(N + 1)]);
  });

  it('the pre-commit hook (staged files given explicitly) lints only the new one of them', () => {
    const p = project();
    p.cli('init');
    p.commit('adopt');
    p.write(up(N + 1), risky);
    // what the hook passes: the staged .sql files, here a released one (edited) and the new one
    const r = p.lint(up(3), up(N + 1));
    expect(r.files).toEqual([up(N + 1)]);
    const only = p.cli('lint', up(3));
    expect(only.code).toBe(0);
    expect(only.stdout).toBe(`no migrations to lint: ${up(3)} is released (baseline in ddlguard.config.json); --all lints it\n`);
    expect(p.lint('--all', up(3)).files).toEqual([up(3)]);
  });

  it('ddlguard baseline moves the cut-off; --upto stops at a given migration', () => {
    const p = project();
    p.cli('init');
    p.write(up(N + 1), risky);
    p.write(up(N + 2), risky);
    expect(p.lint().files).toEqual([up(N + 1), up(N + 2)]);
    const b = p.cli('baseline', '--upto', up(N + 1));
    expect(b.code).toBe(0);
    expect(b.stdout).toContain(`db/migrations/ (golang-migrate): ${N + 1} migrations up to ${version(N + 1)}`);
    expect(p.lint().files).toEqual([up(N + 2)]);
    p.cli('baseline');
    expect(p.cli('lint').code).toBe(0);
  });
});

describe('a migration added before the cut-off later is not released', () => {
  /** 20200101002550: between migrations 25 and 26, so at or before the cut-off (migration 50). */
  const late = (n = 0) => `db/migrations/${version(25).slice(0, -2)}${String(50 + n).padStart(2, '0')}_late${n}.up.sql`;

  it('one such file (a branch merged after the baseline): found by the digest, linted, and the note says why', () => {
    const p = project();
    p.cli('init');
    p.commit('adopt');
    p.write(late(), risky);
    const r = p.lint();
    expect(r.files).toEqual([late()]);
    expect(r.notes[0]).toBe(`baseline: 1 migration in db/migrations/ sorts at or before the last released one (${version(N)}) but was added after the baseline was recorded, so it is linted: ${late()}.`);
    // outside git too (the digest needs no history)
    const copy = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-adopt-nogit-'));
    cpSync(p.dir, copy, { recursive: true });
    rmSync(path.join(copy, '.git'), { recursive: true, force: true });
    const r2 = spawnSync(process.execPath, [CLI, 'lint', '--format', 'json'], { cwd: copy, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
    expect([...new Set(JSON.parse(r2.stdout).findings.map((f: any) => f.file))]).toEqual([late()]);
  });

  it('after a rebase onto a main that gained such a file: still found and linted', () => {
    const p = project();
    p.commit('50 migrations');
    p.git('checkout', '-qb', 'adopt');
    p.cli('init');
    p.commit('adopt ddlguard');
    p.git('checkout', '-q', 'main');
    p.write(late(), risky);
    p.commit('a migration from a long-lived branch');
    p.git('checkout', '-q', 'adopt');
    p.git('rebase', '-q', 'main');
    expect(p.lint().files).toEqual([late()]);
  });

  it('several such files: the commit that recorded the baseline tells which are new', () => {
    const p = project();
    p.cli('init');
    p.commit('adopt');
    for (let n = 0; n < 4; n++) p.write(late(n), risky);
    p.commit('four late migrations');
    const r = p.lint();
    expect(r.files).toEqual([0, 1, 2, 3].map(late));
    expect(r.notes[0]).toMatch(/^baseline: 4 migrations in db\/migrations\/ sort at or before the last released one \(20200101005000\) but were added after the baseline was recorded \(the config's commit [0-9a-f]{12} did not have them\), so they are linted: /);
  });

  it('released migrations removed (squashed) later: the others stay released', () => {
    const p = project();
    p.cli('init');
    p.commit('adopt');
    for (let i = 2; i <= 11; i++) unlinkSync(path.join(p.dir, up(i)));
    p.write(up(N + 1), risky);
    const r = p.lint();
    expect(r.files).toEqual([up(N + 1)]);
    expect(r.notes.filter((n) => !n.includes('only inform the schema'))).toEqual([]);
  });

  it('when nothing shows which files are new (not committed, no git): every file up to the cut-off is linted, with a note', () => {
    const p = project();
    p.cli('init');
    rmSync(path.join(p.dir, '.git'), { recursive: true, force: true });
    for (let n = 0; n < 4; n++) p.write(late(n), risky);
    const r = p.lint();
    expect(r.files).toContain(late(0));
    expect(r.files).toContain(up(2));
    expect(r.notes[0]).toContain(`baseline: the migrations in db/migrations/ up to ${version(N)} are not the ${N} recorded (${N + 4} now), and nothing shows which were added later`);
    expect(r.notes[0]).toContain('run `ddlguard baseline` to record the current migrations as released');
  });
});
