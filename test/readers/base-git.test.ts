/**
 * `ddlguard lint --base <ref>` end to end (the built CLI) in git repositories made
 * here: migrations present at the base commit are released, changed/added ones
 * are the pending release. A contract step is allowed after a released expand and
 * refused in the same release. With readers.paths configured, readers in the
 * application code are listed on the finding.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');
const RELEASES = path.resolve(__dirname, '../../fixtures/releases');
const APP = path.resolve(__dirname, '../../fixtures/app');

function repo() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-base-'));
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, encoding: 'utf8', env });
  git('init', '-q', '-b', 'main');
  const add = (fixture: string, as?: string) => {
    const to = path.join(dir, 'db/migrations', as ?? path.basename(fixture));
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(path.join(RELEASES, fixture), to);
  };
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };
  const commit = (msg: string) => {
    git('add', '-A');
    git('commit', '-qm', msg);
    return git('rev-parse', 'HEAD').trim();
  };
  const lint = (...args: string[]) => {
    const env2: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env2.DATABASE_URL;
    const r = spawnSync(process.execPath, [CLI, 'lint', 'db/migrations', '--format', 'json', ...args], { cwd: dir, encoding: 'utf8', env: env2 });
    return { code: r.status, out: r.stdout ? JSON.parse(r.stdout) : null, stderr: r.stderr };
  };
  return { dir, git, add, write, commit, lint };
}

const compat = (findings: any[]) =>
  findings
    .filter((f) => ['drop-column', 'rename-column', 'drop-table', 'rename-table', 'expand-contract-mix'].includes(f.rule))
    .map((f) => `${f.rule}@${f.file}:${f.line}`)
    .sort();

describe('lint --base', () => {
  it('allows the contract after a released expand: only the pending file is linted, the released ones feed the model', () => {
    const r = repo();
    r.add('base/001_users.sql');
    r.add('expand/002_email_normalized.sql');
    const base = r.commit('release N: expand');
    r.add('contract/003_drop_email.sql');
    const res = r.lint('--base', base);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.out.summary).toMatchObject({ files: 1, historyFiles: 2, base });
    expect(new Set(res.out.findings.map((f: any) => f.file))).toEqual(new Set());
    // the same pending file without --base: the drop is a plain warning
    const plain = spawnSync(process.execPath, [CLI, 'lint', 'db/migrations/003_drop_email.sql', '--history', 'db/migrations', '--format', 'json'], { cwd: r.dir, encoding: 'utf8' });
    expect(compat(JSON.parse(plain.stdout).findings)).toEqual(['drop-column@db/migrations/003_drop_email.sql:3']);
  });

  it('refuses expand and contract in the same release (one file, or two pending files)', () => {
    const r = repo();
    r.add('base/001_users.sql');
    const base = r.commit('base');
    r.add('same-release/002_replace_email.sql');
    const one = r.lint('--base', base);
    expect(one.code).toBe(1);
    expect(compat(one.out.findings)).toEqual(['drop-column@db/migrations/002_replace_email.sql:5', 'expand-contract-mix@db/migrations/002_replace_email.sql:5']);
    const mix = one.out.findings.find((f: any) => f.rule === 'expand-contract-mix');
    expect(mix.suggestion).toContain('-- release N+1 (contract)');
    const drop = one.out.findings.find((f: any) => f.rule === 'drop-column');
    expect(drop.message).toContain(`No migration released at ${base} deprecated or replaced users.email`);

    const r2 = repo();
    r2.add('base/001_users.sql');
    const base2 = r2.commit('base');
    // the expand is committed after the base, so it is still pending: same release as the drop
    r2.add('expand/002_email_normalized.sql');
    r2.commit('expand, not released');
    r2.add('contract/003_drop_email.sql');
    const two = r2.lint('--base', base2);
    expect(two.code).toBe(1);
    expect(compat(two.out.findings)).toEqual(['drop-column@db/migrations/003_drop_email.sql:3', 'expand-contract-mix@db/migrations/003_drop_email.sql:3']);
    expect(two.out.findings.find((f: any) => f.rule === 'expand-contract-mix').message).toContain('db/migrations/002_email_normalized.sql');
  });

  it('resolves the ref of a contract marker with git: released at the base, or not yet', () => {
    const r = repo();
    r.add('base/001_users.sql');
    const v1 = r.commit('v1');
    r.git('tag', 'v1');
    r.write('db/migrations/002_drop_legacy_flag.sql', "SET lock_timeout = '2s';\n-- ddlguard: contract users.legacy_flag after v1\nALTER TABLE users DROP COLUMN legacy_flag;\n");
    expect(compat(r.lint('--base', v1).out.findings)).toEqual([]);
    // naming a commit that is not in the base: refused, and said why
    const later = r.commit('pending drop');
    r.write('db/migrations/002_drop_legacy_flag.sql', `SET lock_timeout = '2s';\n-- ddlguard: contract users.legacy_flag after ${later}\nALTER TABLE users DROP COLUMN legacy_flag;\n`);
    const res = r.lint('--base', v1);
    expect(compat(res.out.findings)).toEqual(['drop-column@db/migrations/002_drop_legacy_flag.sql:3']);
    expect(res.out.findings[0].help).toContain('names a revision that is not released yet');
  });

  it('lists readers from readers.paths on the finding (file:line, strong/weak), skipping the migrations folder', () => {
    const r = repo();
    cpSync(APP, r.dir, { recursive: true });
    const base = r.commit('app + release N');
    r.write('db/migrations/002_drop_bio.sql', "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN bio;\n");
    const res = r.lint('--base', base);
    expect(res.code).toBe(1);
    const f = res.out.findings.find((x: any) => x.rule === 'drop-column');
    expect(f.message).toContain(`No migration released at ${base} deprecated or replaced users.bio`);
    expect(f.message).toContain('3 readers found');
    expect(f.evidence.readers.code.map((h: any) => `${h.file}:${h.line}:${h.certainty}`)).toEqual([
      'app/queries.py:33:parsed-sql',
      'sql/reports/bio_stats.sql:2:parsed-sql',
      'src/users/repository.ts:25:parsed-sql',
    ]);
    expect(res.out.summary.readers.code.migrations).toEqual(['db/migrations/**']);
    expect(res.out.summary.readers.code.full.exclude).toContain('db/migrations/**');
    // findings carry the short summary; the full lists are in the run's summary only
    expect(f.evidence.readers.searched.code.full).toBeUndefined();
  });

  it('never loads the database driver on the plain lint path', () => {
    const r = repo();
    r.add('base/001_users.sql');
    const probe = path.join(r.dir, 'probe.mjs');
    writeFileSync(
      probe,
      `import { createRequire } from 'node:module';\nconst { lint } = await import(${JSON.stringify(path.resolve(__dirname, '../../dist/src/index.js'))});\nawait lint({ paths: ['db/migrations'], cwd: ${JSON.stringify(r.dir)} });\nconst req = createRequire(import.meta.url);\nconsole.log(Object.keys(req.cache).some((k) => /[\\\\/]node_modules[\\\\/]pg[\\\\/]/.test(k)) ? 'pg loaded' : 'pg not loaded');\n`,
    );
    const out = spawnSync(process.execPath, [probe], { cwd: r.dir, encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('pg not loaded');
  });
});
