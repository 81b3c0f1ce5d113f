/**
 * Release awareness in the engine: released (history) migrations prepare a
 * contract step, pending (linted) ones may not expand and contract the same
 * object. Uses the migration sets in fixtures/releases/.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_RULES } from '../../rules/index.js';
import type { RefStatus } from '../../src/lint/compat.js';
import { lintSources, type SourceFile } from '../../src/lint/engine.js';
import type { Finding } from '../../src/lint/types.js';
import type { ObjectEvidence, ReaderIndex, SearchSummary } from '../../src/readers/types.js';
import { loadParser } from '../../src/sql/parser.js';

const ROOT = path.resolve(__dirname, '../../fixtures/releases');

beforeAll(loadParser);

function source(file: string, role: SourceFile['role'], text?: string): SourceFile {
  return { displayPath: file, text: text ?? readFileSync(path.join(ROOT, file), 'utf8'), role, transaction: 'none' };
}

interface Run {
  released: Array<string | [string, string]>;
  pending: Array<string | [string, string]>;
  base?: string | null;
  refs?: Record<string, RefStatus>;
  readers?: ReaderIndex;
}

function run(r: Run): Finding[] {
  const mk = (x: string | [string, string], role: SourceFile['role']) => (typeof x === 'string' ? source(x, role) : source(x[0], role, x[1]));
  const sources = [...r.released.map((x) => mk(x, 'history')), ...r.pending.map((x) => mk(x, 'lint'))];
  const severities = new Map(ALL_RULES.map((x) => [x.meta.id, x.meta.defaultSeverity]));
  const compat = {
    ...(r.base === null ? {} : { release: { base: r.base ?? 'v1', refs: new Map(Object.entries(r.refs ?? {})) } }),
    ...(r.readers ? { readers: r.readers } : {}),
  };
  const result = lintSources(sources, { pgVersion: 15, rules: ALL_RULES, severities, compat });
  expect(result.errors).toEqual([]);
  return result.findings;
}

const rules = (fs: Finding[]) => fs.map((f) => `${f.rule}@${f.file}:${f.line}`).sort();
const compatRules = new Set(['drop-column', 'rename-column', 'drop-table', 'rename-table', 'expand-contract-mix', 'column-type-narrowing', 'set-not-null-scan']);
const compatOnly = (fs: Finding[]) => rules(fs.filter((f) => compatRules.has(f.rule)));

describe('lint --base: contract after a released expand', () => {
  it('allows the drop once the replacement column, its sync trigger and backfill are released', () => {
    expect(compatOnly(run({ released: ['base/001_users.sql', 'expand/002_email_normalized.sql'], pending: ['contract/003_drop_email.sql'] }))).toEqual([]);
  });

  it('refuses expand and contract in the same migration: expand-contract-mix with the two-release split', () => {
    const fs = run({ released: ['base/001_users.sql'], pending: ['same-release/002_replace_email.sql'] });
    expect(compatOnly(fs)).toEqual(['drop-column@same-release/002_replace_email.sql:5', 'expand-contract-mix@same-release/002_replace_email.sql:5']);
    const mix = fs.find((f) => f.rule === 'expand-contract-mix')!;
    expect(mix.severity).toBe('error');
    expect(mix.suggestion).toContain('-- release N (expand)');
    expect(mix.suggestion).toContain('-- release N+1 (contract)');
    expect(mix.suggestion).toContain('ALTER TABLE users DROP COLUMN email;');
    const drop = fs.find((f) => f.rule === 'drop-column')!;
    expect(drop.message).toContain('No migration released at v1 deprecated or replaced users.email');
    expect(drop.evidence?.release).toMatchObject({ base: 'v1', status: 'not-prepared' });
  });

  it('refuses expand and contract in two migrations of the same pending release', () => {
    const fs = run({ released: ['base/001_users.sql'], pending: ['cross-file/002_add_email_normalized.sql', 'cross-file/003_drop_email.sql'] });
    const mix = fs.find((f) => f.rule === 'expand-contract-mix')!;
    expect(`${mix.file}:${mix.line}`).toBe('cross-file/003_drop_email.sql:2');
    expect(mix.message).toContain('cross-file/002_add_email_normalized.sql:3: email_normalized is backfilled from email');
    // the same files with the expand released: allowed
    expect(compatOnly(run({ released: ['base/001_users.sql', 'cross-file/002_add_email_normalized.sql'], pending: ['cross-file/003_drop_email.sql'] }))).toEqual([]);
  });

  it('without --base the drop is reported as before, without evidence', () => {
    const fs = run({ released: ['base/001_users.sql', 'expand/002_email_normalized.sql'], pending: ['contract/003_drop_email.sql'], base: null });
    expect(compatOnly(fs)).toEqual(['drop-column@contract/003_drop_email.sql:3']);
    expect(fs[0]!.evidence).toBeUndefined();
  });

  it('accepts other released preparations: a deprecation comment, a table copy, an archive rename', () => {
    const deprecated: [string, string] = ['002_deprecate.sql', "COMMENT ON COLUMN users.bio IS 'Deprecated: moved to profiles.bio';\n"];
    expect(compatOnly(run({ released: ['base/001_users.sql', deprecated], pending: [['003.sql', 'ALTER TABLE users DROP COLUMN bio;\n']] }))).toEqual([]);
    const copied: [string, string] = ['002_copy.sql', 'CREATE TABLE subscribers (id bigint, email text);\nINSERT INTO subscribers (id, email) SELECT id, email FROM newsletter_subscribers;\n'];
    expect(compatOnly(run({ released: ['base/001_users.sql', copied], pending: [['003.sql', 'DROP TABLE newsletter_subscribers;\n']] }))).toEqual([]);
    const archived: [string, string] = ['002_archive.sql', 'ALTER TABLE orders RENAME TO orders_deprecated;\n'];
    expect(compatOnly(run({ released: ['base/001_users.sql', archived], pending: [['003.sql', 'DROP TABLE orders_deprecated;\n']] }))).toEqual([]);
    // ... but not an unrelated comment
    const other: [string, string] = ['002_comment.sql', "COMMENT ON COLUMN users.bio IS 'Short biography';\n"];
    expect(compatOnly(run({ released: ['base/001_users.sql', other], pending: [['003.sql', 'ALTER TABLE users DROP COLUMN bio;\n']] }))).toEqual(['drop-column@003.sql:1']);
  });

  it('honours `-- ddlguard: contract <object> after <ref>` unless the ref is known to be unreleased', () => {
    const file = 'directive/002_drop_legacy_flag.sql';
    expect(compatOnly(run({ released: ['base/001_users.sql'], pending: [file], refs: { REF: 'released' } }))).toEqual([]);
    expect(compatOnly(run({ released: ['base/001_users.sql'], pending: [file], refs: { REF: 'unknown' } }))).toEqual([]);
    const fs = run({ released: ['base/001_users.sql'], pending: [file], refs: { REF: 'unreleased' } });
    expect(compatOnly(fs)).toEqual(['drop-column@directive/002_drop_legacy_flag.sql:3']);
    expect(fs.find((f) => f.rule === 'drop-column')!.help).toContain('names a revision that is not released yet');
    // a directive naming another object does not count
    const other: [string, string] = ['002.sql', '-- ddlguard: contract users.bio after REF\nALTER TABLE users DROP COLUMN legacy_flag;\n'];
    expect(compatOnly(run({ released: ['base/001_users.sql'], pending: [other], refs: { REF: 'released' } }))).toEqual(['drop-column@002.sql:2']);
  });

  it('SET NOT NULL on a column the pending release adds breaks the deployed code; released later it does not', () => {
    const same = run({ released: ['base/001_users.sql'], pending: ['not-null/002_add_tenant.sql', 'not-null/003_tenant_not_null.sql', 'not-null/004_enforce.sql'] });
    const f = same.find((x) => x.rule === 'set-not-null-scan' && x.message.includes('breaks writers'))!;
    expect(f.file).toBe('not-null/004_enforce.sql');
    expect(f.severity).toBe('error');
    expect(f.message).toContain('tenant_id is added by this release (not-null/002_add_tenant.sql:2)');
    expect(f.suggestion).toContain('-- release N+1 (contract)');
    const later = run({ released: ['base/001_users.sql', 'not-null/002_add_tenant.sql', 'not-null/003_tenant_not_null.sql'], pending: ['not-null/004_enforce.sql'] });
    expect(later.filter((x) => x.rule === 'set-not-null-scan')).toEqual([]);
  });

  it('narrowing is allowed after a released CHECK that bounds the values', () => {
    const check: [string, string] = ['002_check.sql', 'ALTER TABLE users ADD CONSTRAINT users_name_len CHECK (char_length(name) <= 100) NOT VALID;\nALTER TABLE users VALIDATE CONSTRAINT users_name_len;\n'];
    const narrow: [string, string] = ['003_narrow.sql', 'ALTER TABLE users ALTER COLUMN name TYPE varchar(100);\n'];
    expect(compatOnly(run({ released: ['base/001_users.sql', check], pending: [narrow] })).filter((r) => r.startsWith('column-type-narrowing'))).toEqual([]);
    expect(compatOnly(run({ released: ['base/001_users.sql'], pending: [narrow] })).filter((r) => r.startsWith('column-type-narrowing'))).toEqual(['column-type-narrowing@003_narrow.sql:1']);
  });
});

describe('reader evidence reaching the rules', () => {
  const searched: SearchSummary = { code: { globs: ['src/**/*.ts'], exclude: [], migrations: [], files: 120, candidates: 3, ms: 5 }, db: null };
  const index = (code: ObjectEvidence['code']): ReaderIndex => ({
    evidence: new Map([['public.users.email', { code, db: [] }]]),
    searched,
  });
  const strongHit = { file: 'src/a.ts', line: 12, column: 3, certainty: 'parsed-sql' as const, strength: 'strong' as const, access: 'read' as const, detail: 'reads u.email' };

  it('a released expand does not excuse a drop while strong readers remain', () => {
    const fs = run({ released: ['base/001_users.sql', 'expand/002_email_normalized.sql'], pending: ['contract/003_drop_email.sql'], readers: index([strongHit]) });
    const f = fs.find((x) => x.rule === 'drop-column')!;
    // strong evidence outweighs the released expand: error
    expect(f.severity).toBe('error');
    expect(f.message).toContain('prepared by a released migration (expand/002_email_normalized.sql:');
    expect(f.message).toContain('but 1 reader still uses users.email');
    expect(f.help).toContain('src/a.ts:12  parsed-sql (strong): reads u.email');
    expect(f.evidence?.readers?.code).toEqual([strongHit]);
  });

  it('no reader found: lower severity and what was searched', () => {
    const fs = run({ released: ['base/001_users.sql'], pending: ['contract/003_drop_email.sql'], readers: index([]), base: null });
    const f = fs.find((x) => x.rule === 'drop-column')!;
    expect(f.severity).toBe('info');
    expect(f.help).toContain('No reader of users.email found.');
    expect(f.help).toContain('Searched: 120 files matching src/**/*.ts.');
  });

  it('a rename with strong readers keeps its severity and lists them', () => {
    const idx: ReaderIndex = { evidence: new Map([['public.users.email', { code: [strongHit], db: [] }]]), searched };
    const fs = run({ released: ['base/001_users.sql'], pending: [['002.sql', 'ALTER TABLE users RENAME COLUMN email TO login;\n']], readers: idx, base: null });
    const f = fs.find((x) => x.rule === 'rename-column')!;
    expect(f.severity).toBe('error');
    expect(f.help).toContain('Readers of users.email (1 strong, 0 weak):');
    expect(f.suggestion).toContain('ALTER TABLE users ADD COLUMN login text;');
  });
});
