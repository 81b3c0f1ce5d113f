/**
 * Severity from evidence: a strong reader or writer found makes a compatibility finding an
 * error, weak matches only keep the rule's severity, nothing found after a search of the
 * code makes it info, no search keeps the rule's severity; config `evidenceSeverity`
 * changes any step, for every rule or per rule. The evidence is given as data (a
 * ReaderIndex), as the readers stage hands it to the engine; the last test goes through
 * lint() and the readers stage on fixtures/app.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_RULES } from '../../rules/index.js';
import { lint } from '../../src/index.js';
import type { CompatOptions, EvidenceSeverity } from '../../src/lint/compat.js';
import { lintSources, type SourceFile } from '../../src/lint/engine.js';
import type { Finding, SeveritySetting } from '../../src/lint/types.js';
import type { CodeHit, DbHit, ReaderIndex, SearchSummary } from '../../src/readers/types.js';
import { loadParser } from '../../src/sql/parser.js';

beforeAll(loadParser);

const BASE = readFileSync(path.resolve(__dirname, '../../fixtures/releases/base/001_users.sql'), 'utf8');

const codeSearched: SearchSummary = { code: { globs: ['src/**/*.ts'], exclude: [], migrations: ['db/migrations/**'], files: 120, candidates: 3, ms: 5 }, db: null };
const dbOnly: SearchSummary = { code: null, db: { url: 'postgres://app@db/app', statements: 'read', note: null, error: null } };

const hit = (strength: 'strong' | 'weak', access: CodeHit['access'] = 'read'): CodeHit => ({
  file: 'src/a.ts',
  line: strength === 'strong' ? 12 : 30,
  column: 3,
  certainty: strength === 'strong' ? 'parsed-sql' : 'identifier-match',
  strength,
  access,
  detail: strength === 'strong' ? 'reads u.email' : 'identifier email near users (line 28)',
});
const dbHit: DbHit = { kind: 'view', certainty: 'catalog', strength: 'strong', name: 'public.active_users', detail: 'view public.active_users depends on it' };

type Evidence = 'strong' | 'weak' | 'none' | 'not-searched' | 'db-only';

function index(key: string, ev: Evidence, hits?: CodeHit[]): ReaderIndex | null {
  if (ev === 'not-searched') return null;
  const code = hits ?? (ev === 'strong' ? [hit('strong'), hit('weak')] : ev === 'weak' ? [hit('weak')] : []);
  return { evidence: new Map([[key, { code, db: [] }]]), searched: ev === 'db-only' ? dbOnly : codeSearched };
}

interface Case {
  sql: string;
  rule: string;
  key: string;
  ev: Evidence;
  hits?: CodeHit[];
  config?: EvidenceSeverity;
  rules?: Record<string, SeveritySetting>;
}

function run(c: Case): Finding {
  const sources: SourceFile[] = [
    { displayPath: '001_users.sql', text: BASE, role: 'history', transaction: 'none' },
    { displayPath: '002.sql', text: `SET lock_timeout = '2s';\n${c.sql}\n`, role: 'lint', transaction: 'none' },
  ];
  const severities = new Map<string, SeveritySetting>(ALL_RULES.map((r) => [r.meta.id, c.rules?.[r.meta.id] ?? r.meta.defaultSeverity]));
  const readers = index(c.key, c.ev, c.hits);
  const compat: CompatOptions = {};
  if (readers) compat.readers = readers;
  if (c.config) compat.severity = c.config;
  const result = lintSources(sources, { pgVersion: 15, rules: ALL_RULES, severities, ...(readers || c.config ? { compat } : {}) });
  expect(result.errors).toEqual([]);
  const f = result.findings.find((x) => x.rule === c.rule);
  expect(f, `${c.rule} on ${c.sql}`).toBeDefined();
  return f!;
}

const DROP = { sql: 'ALTER TABLE users DROP COLUMN email;', rule: 'drop-column', key: 'public.users.email' };
const RENAME = { sql: 'ALTER TABLE users RENAME COLUMN email TO login;', rule: 'rename-column', key: 'public.users.email' };

describe('severity from evidence: drop-column (default warning)', () => {
  it('a strong reader found: error, and the finding names it', () => {
    const f = run({ ...DROP, ev: 'strong' });
    expect(f.severity).toBe('error');
    expect(f.evidence?.found).toBe('strong');
    expect(f.message).toContain('1 reader found.');
    expect(f.help).toContain('src/a.ts:12  parsed-sql (strong): reads u.email');
  });
  it('a strong catalog dependant in the live database counts too', () => {
    const readers: ReaderIndex = { evidence: new Map([[DROP.key, { code: [], db: [dbHit] }]]), searched: { code: codeSearched.code, db: dbOnly.db } };
    const sources: SourceFile[] = [
      { displayPath: '001_users.sql', text: BASE, role: 'history', transaction: 'none' },
      { displayPath: '002.sql', text: DROP.sql, role: 'lint', transaction: 'none' },
    ];
    const severities = new Map(ALL_RULES.map((r) => [r.meta.id, r.meta.defaultSeverity]));
    const f = lintSources(sources, { pgVersion: 15, rules: ALL_RULES, severities, compat: { readers } }).findings.find((x) => x.rule === 'drop-column')!;
    expect(f.severity).toBe('error');
  });
  it('weak matches only: the default (warning)', () => {
    const f = run({ ...DROP, ev: 'weak' });
    expect(f.severity).toBe('warning');
    expect(f.evidence?.found).toBe('weak');
    expect(f.message).toContain('1 possible reader (weak matches).');
  });
  it('nothing found after a search of the code: info, saying what was searched', () => {
    const f = run({ ...DROP, ev: 'none' });
    expect(f.severity).toBe('info');
    expect(f.evidence?.found).toBe('none');
    expect(f.message).toContain('No reader found in the 120 files searched.');
    expect(f.help).toContain('No reader of users.email found.');
    expect(f.help).toContain('Searched: 120 files matching src/**/*.ts, excluding the migrations in db/migrations/.');
  });
  it('not searched: the default (warning), without evidence', () => {
    const f = run({ ...DROP, ev: 'not-searched' });
    expect(f.severity).toBe('warning');
    expect(f.evidence).toBeUndefined();
  });
  it('a database alone is no search (it records recent queries only): the default', () => {
    const f = run({ ...DROP, ev: 'db-only' });
    expect(f.severity).toBe('warning');
    expect(f.evidence?.found).toBe('not-searched');
  });
  it('the default is the configured one: rules.drop-column = error keeps weak matches at error', () => {
    expect(run({ ...DROP, ev: 'weak', rules: { 'drop-column': 'error' } }).severity).toBe('error');
    expect(run({ ...DROP, ev: 'none', rules: { 'drop-column': 'error' } }).severity).toBe('info');
  });
});

describe('severity from evidence: rename-column (default error)', () => {
  it('strong: error', () => expect(run({ ...RENAME, ev: 'strong' }).severity).toBe('error'));
  it('weak: the default (error)', () => expect(run({ ...RENAME, ev: 'weak' }).severity).toBe('error'));
  it('none found after a search: info', () => {
    const f = run({ ...RENAME, ev: 'none' });
    expect(f.severity).toBe('info');
    expect(f.help).toContain('Searched: 120 files');
  });
  it('not searched: the default (error)', () => expect(run({ ...RENAME, ev: 'not-searched' }).severity).toBe('error'));
});

describe('evidenceSeverity in the config overrides each step', () => {
  it('for every rule', () => {
    const config: EvidenceSeverity = { strong: 'warning', weak: 'info', none: 'warning', notSearched: 'error' };
    expect(run({ ...DROP, ev: 'strong', config }).severity).toBe('warning');
    expect(run({ ...DROP, ev: 'weak', config }).severity).toBe('info');
    expect(run({ ...DROP, ev: 'none', config }).severity).toBe('warning');
    // not searched at all (no readers): the config still applies
    expect(run({ ...DROP, ev: 'not-searched', config }).severity).toBe('error');
    expect(run({ ...RENAME, ev: 'none', config }).severity).toBe('warning');
  });
  it('per rule, over the setting for every rule; `default` keeps the rule severity', () => {
    const config: EvidenceSeverity = { none: 'warning', rules: { 'rename-column': { none: 'default', weak: 'warning' } } };
    expect(run({ ...DROP, ev: 'none', config }).severity).toBe('warning');
    expect(run({ ...RENAME, ev: 'none', config }).severity).toBe('error');
    expect(run({ ...RENAME, ev: 'weak', config }).severity).toBe('warning');
    expect(run({ ...RENAME, ev: 'strong', config }).severity).toBe('error');
  });
});

describe('the other compatibility rules follow the same steps', () => {
  const cases = [
    { sql: 'DROP TABLE newsletter_subscribers;', rule: 'drop-table', key: 'public.newsletter_subscribers', def: 'warning' },
    { sql: 'ALTER TABLE orders RENAME TO purchases;', rule: 'rename-table', key: 'public.orders', def: 'error' },
    { sql: 'ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;', rule: 'add-column-required', key: 'writer:public.users.tenant_id', def: 'error', none: 'warning' },
  ];
  for (const c of cases) {
    it(`${c.rule}: strong error, weak ${c.def}, none ${c.none ?? 'info'}, not searched ${c.def}`, () => {
      expect(run({ ...c, ev: 'strong' }).severity).toBe('error');
      expect(run({ ...c, ev: 'weak' }).severity).toBe(c.def);
      expect(run({ ...c, ev: 'none' }).severity).toBe(c.none ?? 'info');
      expect(run({ ...c, ev: 'not-searched' }).severity).toBe(c.def);
    });
  }

  const NARROW = { sql: 'ALTER TABLE users ALTER COLUMN bio TYPE varchar(100);', rule: 'column-type-narrowing', key: 'public.users.bio' };
  it('column-type-narrowing: a strong writer is error; reads and weak matches keep warning; none found is info', () => {
    const f = run({ ...NARROW, ev: 'strong', hits: [hit('strong', 'write')] });
    expect(f.severity).toBe('error');
    expect(f.message).toContain('1 writer found writing it.');
    expect(f.help).toContain('Code that writes or uses users.bio (1 strong, 0 weak):');
    // a strong read is no risk for a narrower type: weak evidence
    const read = run({ ...NARROW, ev: 'strong', hits: [hit('strong', 'read')] });
    expect(read.severity).toBe('warning');
    expect(read.help).toContain('src/a.ts:12  parsed-sql (weak): reads u.email');
    expect(run({ ...NARROW, ev: 'none' }).severity).toBe('info');
    expect(run({ ...NARROW, ev: 'not-searched' }).severity).toBe('warning');
  });
});

describe('through lint() and the readers stage (fixtures/app)', () => {
  function appWith(migration: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-sev-'));
    cpSync(path.resolve(__dirname, '../../fixtures/app'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'db/migrations/002_pending.sql'), migration);
    return dir;
  }
  const GLOBS = ['**/*.{ts,js,py,rb,go,java,sql}'];

  it('a narrowing of users.bio (written by parsed SQL in the app) is an error; evidenceSeverity lowers it', async () => {
    const dir = appWith("SET lock_timeout = '2s';\nALTER TABLE users ALTER COLUMN bio TYPE varchar(100);\n");
    const opts = { cwd: dir, paths: ['db/migrations/002_pending.sql'], history: ['db/migrations'], readers: { paths: GLOBS, baseDir: dir }, rules: ALL_RULES };
    const f = (await lint(opts)).findings.find((x) => x.rule === 'column-type-narrowing')!;
    expect(f.severity).toBe('error');
    expect(f.evidence?.found).toBe('strong');
    expect(f.help).toContain('src/users/repository.ts:25  parsed-sql (strong)');
    const lowered = (await lint({ ...opts, evidenceSeverity: { rules: { 'column-type-narrowing': { strong: 'warning' } } } })).findings.find((x) => x.rule === 'column-type-narrowing')!;
    expect(lowered.severity).toBe('warning');
  });
});
