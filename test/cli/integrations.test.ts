/** The GitHub Action entry point and the pre-commit hook, end to end in temporary git repositories. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = path.resolve(__dirname, '../../dist/src/cli');

function repo(): { dir: string; git: (...a: string[]) => string; write: (f: string, t: string) => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-repo-'));
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
  git('init', '-q', '-b', 'main');
  const write = (f: string, t: string) => {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), t);
  };
  return { dir, git, write };
}

describe('GitHub Action entry point', () => {
  it('lints only the PR migrations, annotates with 1-based positions, writes the summary, fails by threshold', () => {
    const r = repo();
    r.write('db/001_users.sql', 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE INDEX users_email_idx ON users (email);\n');
    r.git('add', '.');
    r.git('commit', '-qm', 'base');
    const base = r.git('rev-parse', 'HEAD').trim();
    r.write('db/002_index.sql', "SET lock_timeout = '1s';\n\n  CREATE INDEX users_id_idx ON users (id);\n");
    r.git('add', '.');
    r.git('commit', '-qm', 'pr');
    const event = path.join(r.dir, 'event.json');
    writeFileSync(event, JSON.stringify({ pull_request: { base: { sha: base } } }));
    const summary = path.join(r.dir, 'summary.md');
    writeFileSync(summary, '');
    const out = spawnSync(process.execPath, [path.join(DIST, 'action.js')], {
      cwd: r.dir,
      encoding: 'utf8',
      env: { ...process.env, GITHUB_ACTIONS: 'true', GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event, GITHUB_WORKSPACE: r.dir, GITHUB_STEP_SUMMARY: summary, INPUT_PATHS: 'db', 'INPUT_FAIL-ON': 'error' },
    });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(1);
    const lines = out.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.includes('file=db/002_index.sql'))).toBe(true);
    expect(lines.some((l) => l.startsWith('::error') && l.includes('line=3') && l.includes('col=3') && l.includes('require-concurrent-index'))).toBe(true);
    expect(readFileSync(summary, 'utf8')).toContain('require-concurrent-index');
  });

  it('passes when the PR adds only safe migrations', () => {
    const r = repo();
    r.write('db/001.sql', 'CREATE TABLE users (id bigint PRIMARY KEY);\n');
    r.git('add', '.');
    r.git('commit', '-qm', 'base');
    const base = r.git('rev-parse', 'HEAD').trim();
    r.write('db/002.sql', 'CREATE TABLE posts (id bigint PRIMARY KEY);\n');
    r.git('add', '.');
    r.git('commit', '-qm', 'pr');
    const event = path.join(r.dir, 'event.json');
    writeFileSync(event, JSON.stringify({ pull_request: { base: { sha: base } } }));
    const out = spawnSync(process.execPath, [path.join(DIST, 'action.js')], { cwd: r.dir, encoding: 'utf8', env: { ...process.env, GITHUB_EVENT_PATH: event, GITHUB_WORKSPACE: r.dir, INPUT_PATHS: 'db' } });
    expect(out.status).toBe(0);
  });
});

describe('lint --since', () => {
  it('lints changed and untracked migrations only, with the rest as history', () => {
    const r = repo();
    r.write('m/001.sql', 'CREATE TABLE t (id int, v varchar(10));\nCREATE INDEX t_v ON t (v);\n');
    r.git('add', '.');
    r.git('commit', '-qm', 'base');
    r.write('m/002.sql', 'ALTER TABLE t ALTER COLUMN v TYPE varchar(20);\nALTER TABLE t ALTER COLUMN id TYPE bigint;\n');
    const out = spawnSync(process.execPath, [path.join(DIST, 'main.js'), 'lint', 'm', '--since', 'HEAD', '--format', 'json'], { cwd: r.dir, encoding: 'utf8' });
    const res = JSON.parse(out.stdout);
    expect(new Set(res.findings.map((f: any) => f.file))).toEqual(new Set(['m/002.sql']));
    // history knew v was varchar(10): the widening is binary compatible, the int->bigint is not
    expect(res.findings.filter((f: any) => f.rule === 'column-type-rewrite').map((f: any) => f.line)).toEqual([2]);
  });
});

describe('pre-commit hook', () => {
  it('blocks a staged risky migration and lets a safe one through', () => {
    const r = repo();
    const bin = path.join(r.dir, 'node_modules', '.bin');
    mkdirSync(bin, { recursive: true });
    // `npx --no-install ddlguard` resolves the local bin, as in a project that installed ddlguard.
    writeFileSync(path.join(bin, 'ddlguard'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(DIST, 'main.js')}" "$@"\n`, { mode: 0o755 });
    writeFileSync(path.join(r.dir, 'package.json'), '{"name":"app","version":"1.0.0"}');
    const install = spawnSync(process.execPath, [path.join(DIST, 'main.js'), 'install-hook'], { cwd: r.dir, encoding: 'utf8' });
    expect(install.status).toBe(0);
    r.write('db/001.sql', "SET lock_timeout = '1s';\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n");
    r.git('add', 'db/001.sql');
    const bad = spawnSync('git', ['commit', '-qm', 'risky'], { cwd: r.dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain('set-not-null-scan');
    r.write('db/001.sql', 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n');
    r.git('add', 'db/001.sql');
    const good = spawnSync('git', ['commit', '-qm', 'safe'], { cwd: r.dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
    expect(good.status, good.stdout + good.stderr).toBe(0);
  });
});
