/** The GitHub Action entry point and the pre-commit hook, end to end in temporary git repositories. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pullRequest, repo, runAction } from './action-support.js';

const DIST = path.resolve(__dirname, '../../dist/src/cli');

describe('GitHub Action (the committed bundle, no install step)', () => {
  it('lints only the PR migrations, annotates with 1-based positions, writes the summary, fails by threshold', async () => {
    const r = pullRequest(
      { 'db/001_users.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE INDEX users_email_idx ON users (email);\n' },
      { 'db/002_index.sql': "SET lock_timeout = '1s';\n\n  CREATE INDEX users_id_idx ON users (id);\n" },
    );
    const out = await runAction(r, { paths: 'db', 'fail-on': 'error', 'upload-sarif': 'true' });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(1);
    const lines = out.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.includes('file=db/002_index.sql'))).toBe(true);
    expect(lines.some((l) => l.startsWith('::error') && l.includes('line=3') && l.includes('col=3') && l.includes('require-concurrent-index'))).toBe(true);
    expect(out.summary).toContain('require-concurrent-index');
    // upload-sarif: the file and the step output
    const sarifFile = path.join(r.dir, 'ddlguard.sarif');
    expect(out.output).toBe(`sarif-file=${sarifFile}\n`);
    const sarif = JSON.parse(readFileSync(sarifFile, 'utf8'));
    expect(sarif.runs[0].results.map((x: any) => x.ruleId)).toContain('require-concurrent-index');
  });

  it('passes when the PR adds only safe migrations', async () => {
    const r = pullRequest({ 'db/001.sql': 'CREATE TABLE users (id bigint PRIMARY KEY);\n' }, { 'db/002.sql': 'CREATE TABLE posts (id bigint PRIMARY KEY);\n' });
    const out = await runAction(r, { paths: 'db' });
    expect(out.stderr).toBe('');
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
