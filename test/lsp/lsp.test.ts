/**
 * `ddlguard lsp` end to end: the built server (dist/) spawned over stdio, driven by a real
 * LSP client (test/lsp/client.ts). Diagnostics are compared with what `ddlguard lint --format
 * json` prints for the same file in the same workspace; code actions are applied the way an
 * editor applies them (didChange with the edits) and the server's next diagnostics must show
 * the effect; the fix-all result must be the file `ddlguard lint --fix` writes.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnostic, PublishDiagnosticsParams, Range } from 'vscode-languageserver-protocol';
import { TestClient } from './client.js';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');

function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-lsp-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

function cli(root: string, args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.DATABASE_URL;
  return spawnSync(process.execPath, [CLI, ...args], { cwd: root, encoding: 'utf8', env });
}

const SEVERITY: Record<string, number> = { error: 1, warning: 2, info: 3 };

/** What `ddlguard lint --format json <file>` reports for the file, as the diagnostics must carry it. */
function lintJson(root: string, file: string, extra: string[] = []): { findings: any[]; errors: any[] } {
  const r = cli(root, ['lint', '--format', 'json', file, ...extra]);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
}

function expectedDiagnostics(root: string, file: string) {
  const out = lintJson(root, file);
  return {
    findings: out.findings.map((f) => ({
      code: f.rule,
      severity: SEVERITY[f.severity],
      range: { start: { line: f.line - 1, character: f.column - 1 }, end: { line: f.endLine - 1, character: f.endColumn - 1 } },
    })),
    errors: out.errors.map((e) => ({ line: e.line - 1, character: e.column - 1, message: e.message })),
  };
}

const shape = (d: Diagnostic) => ({ code: d.code, severity: d.severity, range: d.range });
const codes = (p: PublishDiagnosticsParams) => p.diagnostics.map((d) => d.code);
const find = (p: PublishDiagnosticsParams, code: string) => p.diagnostics.find((d) => d.code === code);
/** A diagnostic's message as text (LSP 3.18 allows markup; the server sends strings). */
const text = (d: Diagnostic | undefined) => (d === undefined ? '' : typeof d.message === 'string' ? d.message : d.message.value);
const pos = (text: string, needle: string) => {
  const at = text.indexOf(needle);
  expect(at).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, at).split('\n');
  return { line: before.length - 1, character: before[before.length - 1]!.length };
};
const point = (text: string, needle: string): Range => ({ start: pos(text, needle), end: pos(text, needle) });

const CONFIG = JSON.stringify({ migrations: ['db/migrations'], rules: { 'require-concurrent-index': 'warning' } });
const HISTORY = 'CREATE TABLE accounts (id bigint PRIMARY KEY, qty int, email text);\n';
// The statement on line 2 comes after a comment with characters of 2 and 4 UTF-8 bytes
// (é, 🚀: a surrogate pair in UTF-16): the range must count UTF-16 code units.
const MIGRATION = ['-- Ünïcödé 🚀 header', '/* café 🚀 */ CREATE INDEX accounts_email_idx ON accounts (email);', 'ALTER TABLE accounts ALTER COLUMN qty TYPE bigint;', ''].join('\n');

describe('ddlguard lsp', () => {
  let root: string;
  let client: TestClient;
  const m002 = () => path.join(root, 'db/migrations/002_change.sql');

  beforeAll(async () => {
    root = workspace({
      'ddlguard.config.json': CONFIG,
      'db/migrations/001_accounts.sql': HISTORY,
      'db/migrations/002_change.sql': MIGRATION,
      'scripts/adhoc.sql': MIGRATION,
    });
    client = await TestClient.start({ root });
  });

  afterAll(async () => {
    expect(client.alive()).toBe(true);
    expect(await client.stop()).toBe(0);
  });

  it('publishes the diagnostics lint gives for the file: rule ids, severities (config applied) and ranges, after its history', async () => {
    const uri = await client.open(m002(), MIGRATION);
    const got = await client.diagnosticsOf(uri, 1);
    const want = expectedDiagnostics(root, 'db/migrations/002_change.sql');
    expect(want.findings.length).toBeGreaterThanOrEqual(4);
    expect(got.diagnostics.map(shape)).toEqual(want.findings);
    // The config's override (default error) and the history file's column type (integer) are applied.
    expect(find(got, 'require-concurrent-index')!.severity).toBe(2);
    expect(find(got, 'column-type-rewrite')!.message).toContain('integer -> bigint is not binary coercible');
    // UTF-16 columns: "/* café 🚀 */ " is 14 code units (17 UTF-8 bytes, 13 code points).
    const idx = find(got, 'require-concurrent-index')!;
    expect(idx.range.start).toEqual({ line: 1, character: 14 });
    expect(client.slice(uri, idx.range)).toBe('CREATE INDEX accounts_email_idx ON accounts (email)');
    expect(idx).toMatchObject({ source: 'ddlguard', codeDescription: { href: expect.stringMatching(/docs\/rules\/require-concurrent-index\.md$/) } });
    expect(idx.message).toMatch(/^CREATE INDEX without CONCURRENTLY .*\nBuild the index with CREATE INDEX CONCURRENTLY/s);
    await client.close(uri);
  });

  it('applies the quick fix --fix would apply, and the diagnostic goes away', async () => {
    const uri = await client.open(m002(), MIGRATION);
    const first = await client.diagnosticsOf(uri, 1);
    const diag = find(first, 'require-concurrent-index')!;
    const actions = await client.codeActions(uri, diag.range);
    const fix = actions.find((a) => a.title.startsWith('Fix require-concurrent-index'))!;
    expect(fix).toMatchObject({ kind: 'quickfix', isPreferred: true, title: 'Fix require-concurrent-index: insert "CONCURRENTLY IF NOT EXISTS"' });
    expect(fix.diagnostics?.[0]?.code).toBe('require-concurrent-index');
    const version = await client.apply(fix.edit!);
    const after = await client.diagnosticsOf(uri, version);
    expect(client.text(uri)).toContain('CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_email_idx');
    expect(codes(after)).not.toContain('require-concurrent-index');
    // The rest is still there, where lint puts it for the fixed text.
    expect(codes(after)).toContain('column-type-rewrite');
    await client.close(uri);
  });

  it('offers no fix --fix would not apply (CONCURRENTLY inside the transaction a framework wraps the file in)', async () => {
    // golang-migrate sends the file as one query: one implicit transaction, CONCURRENTLY would fail.
    const file = path.join(root, 'db/migrations/003_idx.up.sql');
    const text = "SET lock_timeout = '1s';\nCREATE INDEX accounts_qty_idx ON accounts (qty);\n";
    const uri = await client.open(file, text);
    const got = await client.diagnosticsOf(uri, 1);
    // Not saved yet, but under db/migrations: linted after the two migrations before it.
    expect(client.logs.map((l) => l.message)).toContainEqual(expect.stringMatching(/^linted db\/migrations\/003_idx\.up\.sql \(version 1\) after 2 earlier migration file\(s\)/));
    const diag = find(got, 'require-concurrent-index')!;
    expect(diag).toBeDefined();
    const actions = await client.codeActions(uri, diag.range);
    expect(actions.map((a) => a.title)).not.toContainEqual(expect.stringMatching(/^Fix require-concurrent-index/));
    // The suggestion is plain SQL, but CONCURRENTLY there makes the file worse: it goes in as a comment.
    expect(actions.map((a) => a.title)).toContain('Insert the suggested SQL as a comment (require-concurrent-index)');
    await client.close(uri);
  });

  it('replaces a statement with a plain-SQL suggestion, inserts an ignore comment, and each diagnostic goes away', async () => {
    const uri = await client.open(m002(), MIGRATION);
    let p = await client.diagnosticsOf(uri, 1);
    const alter = p.diagnostics.find((d) => d.code === 'require-lock-timeout' && d.range.start.line === 2)!;
    let actions = await client.codeActions(uri, alter.range);
    const replace = actions.find((a) => a.title === 'Replace with the suggested SQL (require-lock-timeout)')!;
    expect(replace).toBeDefined();
    let version = await client.apply(replace.edit!);
    p = await client.diagnosticsOf(uri, version);
    expect(client.text(uri)).toContain("SET lock_timeout = '2s';\nALTER TABLE accounts ALTER COLUMN qty TYPE bigint;");
    expect(p.diagnostics.filter((d) => d.code === 'require-lock-timeout' && client.slice(uri, d.range).startsWith('ALTER'))).toEqual([]);

    const rewrite = find(p, 'column-type-rewrite')!;
    actions = await client.codeActions(uri, rewrite.range);
    const ignore = actions.find((a) => a.title === 'Ignore column-type-rewrite for this statement')!;
    version = await client.apply(ignore.edit!);
    p = await client.diagnosticsOf(uri, version);
    expect(client.text(uri)).toContain('-- ddlguard-ignore column-type-rewrite\nALTER TABLE accounts');
    expect(codes(p)).not.toContain('column-type-rewrite');
    // And it matches lint on the edited text, written to disk.
    writeFileSync(m002(), client.text(uri));
    expect(p.diagnostics.map(shape)).toEqual(expectedDiagnostics(root, 'db/migrations/002_change.sql').findings);
    writeFileSync(m002(), MIGRATION);
    await client.close(uri);
  });

  it('an ignore comment mid-line goes on a line of its own, attached to the statement', async () => {
    const file = path.join(root, 'db/migrations/004_tx.sql');
    const text = "SET lock_timeout = '1s'; CREATE INDEX accounts_qty_idx ON accounts (qty);\n";
    const uri = await client.open(file, text);
    const p = await client.diagnosticsOf(uri, 1);
    const diag = find(p, 'require-concurrent-index')!;
    const actions = await client.codeActions(uri, diag.range);
    const version = await client.apply(actions.find((a) => a.title === 'Ignore require-concurrent-index for this statement')!.edit!);
    const after = await client.diagnosticsOf(uri, version);
    expect(client.text(uri)).toBe("SET lock_timeout = '1s'; \n-- ddlguard-ignore require-concurrent-index\nCREATE INDEX accounts_qty_idx ON accounts (qty);\n");
    expect(codes(after)).not.toContain('require-concurrent-index');
    await client.close(uri);
  });

  it('fix all is what lint --fix writes', async () => {
    const uri = await client.open(m002(), MIGRATION);
    await client.diagnosticsOf(uri, 1);
    const [lazy] = await client.codeActions(uri, point(MIGRATION, 'ALTER'), ['source.fixAll']);
    expect(lazy).toMatchObject({ kind: 'source.fixAll.ddlguard' });
    expect(lazy!.edit).toBeUndefined();
    const resolved = await client.resolve(lazy!);
    const version = await client.apply(resolved.edit!);
    const after = await client.diagnosticsOf(uri, version);

    const copy = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-lsp-fix-'));
    cpSync(root, copy, { recursive: true });
    cli(copy, ['lint', '--fix', 'db/migrations/002_change.sql']);
    const fixed = readFileSync(path.join(copy, 'db/migrations/002_change.sql'), 'utf8');
    expect(fixed).not.toBe(MIGRATION);
    expect(client.text(uri)).toBe(fixed);
    expect(after.diagnostics.map(shape)).toEqual(expectedDiagnostics(copy, 'db/migrations/002_change.sql').findings);
    await client.close(uri);
  });

  it('hover on a statement shows the lock it takes, what that blocks, and the missing lock_timeout', async () => {
    const uri = await client.open(m002(), MIGRATION);
    await client.diagnosticsOf(uri, 1);
    const hover = await client.hover(uri, 1, 20);
    const md = (hover!.contents as { kind: string; value: string }).value;
    expect((hover!.contents as { kind: string }).kind).toBe('markdown');
    expect(md).toContain('**SHARE** lock on `public.accounts`: blocks writes, reads continue');
    expect(md).toContain('reads all of `public.accounts` while holding the lock');
    expect(md).toContain('no lock_timeout');
    expect(client.slice(uri, hover!.range!)).toBe('CREATE INDEX accounts_email_idx ON accounts (email)');
    const alter = await client.hover(uri, 2, 5);
    expect((alter!.contents as { value: string }).value).toMatch(/\*\*ACCESS EXCLUSIVE\*\* lock on `public.accounts`: blocks reads and writes[\s\S]*rewrites `public.accounts`/);
    // On the comment line: no statement, no hover.
    expect(await client.hover(uri, 0, 3)).toBeNull();
    await client.close(uri);
  });

  it('re-lints a change once after the edits stop (debounced), and closing clears the diagnostics', async () => {
    const uri = await client.open(m002(), MIGRATION);
    await client.diagnosticsOf(uri, 1);
    const before = client.publishes.length;
    const logStart = client.logs.length;
    let version = 1;
    let text = MIGRATION;
    // Typing: an edit every 40 ms, well inside the 250 ms quiet time the server waits for.
    for (const word of ['x', 'y', 'z', 'w', 'v']) {
      text = `${text}-- ${word}\n`;
      version = await client.replace(uri, text);
      await new Promise((r) => setTimeout(r, 40));
    }
    await client.replace(uri, `${text}CREATE INDEX accounts_id_idx ON accounts (id);\n`);
    version++;
    const last = await client.diagnostics(uri, () => true, before);
    expect(last.version).toBe(version);
    expect(last.diagnostics.filter((d) => d.code === 'require-concurrent-index')).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 600));
    expect(client.publishes.slice(before).filter((p) => p.uri === uri).map((p) => p.version)).toEqual([version]);
    // One run for the burst: no version in between was linted (the server logs each run).
    const runs = client.logs.slice(logStart).map((l) => /^linted db\/migrations\/002_change\.sql \(version (\d+)\)/.exec(l.message)?.[1]).filter(Boolean).map(Number);
    expect(runs).toEqual([version]);

    const n = client.publishes.length;
    await client.close(uri);
    const cleared = await client.diagnostics(uri, () => true, n);
    expect(cleared.diagnostics).toEqual([]);
  });

  it('lints after the unsaved text of an open history file, and after the disk again once it closes', async () => {
    const uri = await client.open(m002(), MIGRATION);
    expect(find(await client.diagnosticsOf(uri, 1), 'column-type-rewrite')!.message).toContain('integer -> bigint');
    const history = await client.open(path.join(root, 'db/migrations/001_accounts.sql'), HISTORY);
    const n = client.publishes.length;
    await client.replace(history, HISTORY.replace('qty int', 'qty numeric'));
    const changed = await client.diagnostics(uri, (p) => text(find(p, 'column-type-rewrite')).includes('numeric -> bigint'), n);
    expect(changed.version).toBe(1);
    const m = client.publishes.length;
    await client.close(history);
    await client.diagnostics(uri, (p) => text(find(p, 'column-type-rewrite')).includes('integer -> bigint'), m);
    await client.close(uri);
  });

  it('lints a .sql file outside the migrations on its own (no history)', async () => {
    const uri = await client.open(path.join(root, 'scripts/adhoc.sql'), MIGRATION);
    const p = await client.diagnosticsOf(uri, 1);
    expect(find(p, 'column-type-rewrite')!.message).toContain("the column's current type is not known");
    expect(codes(p)).toContain('require-concurrent-index');
    await client.close(uri);
  });

  it('reports parse errors where lint does', async () => {
    const text = 'SELECT 1;\nALTER TABLE accounts ADD COLUMNN y int;\n';
    writeFileSync(path.join(root, 'db/migrations/005_broken.sql'), text);
    const uri = await client.open(path.join(root, 'db/migrations/005_broken.sql'), text);
    const p = await client.diagnosticsOf(uri, 1);
    const want = expectedDiagnostics(root, 'db/migrations/005_broken.sql').errors[0]!;
    expect(p.diagnostics).toHaveLength(1);
    expect(p.diagnostics[0]).toMatchObject({ code: 'parse-error', severity: 1, message: want.message, range: { start: { line: want.line, character: want.character } } });
    expect(client.slice(uri, p.diagnostics[0]!.range)).toBe('int');
    await client.close(uri);
  });

  it('keeps ranges right in a document that starts with a byte order mark', async () => {
    const uri = await client.open(path.join(root, 'scripts/bom.sql'), "\ufeffCREATE INDEX accounts_qty_idx ON accounts (qty);\n");
    const p = await client.diagnosticsOf(uri, 1);
    const d = find(p, 'require-concurrent-index')!;
    expect(d.range.start).toEqual({ line: 0, character: 1 });
    expect(client.slice(uri, d.range)).toBe('CREATE INDEX accounts_qty_idx ON accounts (qty)');
    await client.close(uri);
  });

  it('registers file watchers', () => {
    expect(client.registrations).toContain('workspace/didChangeWatchedFiles');
  });
});

describe('ddlguard lsp with a schema snapshot', () => {
  let root: string;
  let client: TestClient;

  function snapshot(rows: number): string {
    const relation = (key: string, columns: Array<[string, string]>, size: { rows: number; bytes: number }) => ({
      key,
      kind: 'table',
      unlogged: false,
      partitionOf: null,
      partitionKey: [],
      partitionStrategy: null,
      partitionBound: null,
      dependsOn: [],
      columns: columns.map(([name, type]) => ({ name, type: { name: type, schema: null, mods: [], array: false }, notNull: name === 'id', hasDefault: false, defaultVolatile: false, generated: null, identity: false })),
      constraints: [],
      size: { rows: size.rows, heapBytes: size.bytes, indexBytes: 0, toastBytes: 0, totalBytes: size.bytes },
    });
    return JSON.stringify({
      format: 'ddlguard-schema',
      version: 1,
      pgVersion: 16,
      exportedAt: '2026-01-01T00:00:00Z',
      source: 'test',
      searchPath: ['public'],
      schemas: ['public'],
      relations: [relation('public.accounts', [['id', 'int8'], ['qty', 'int4'], ['email', 'text']], { rows, bytes: rows * 100 })],
      indexes: [],
      enums: [],
      domains: [],
      functions: [],
    });
  }

  beforeAll(async () => {
    root = workspace({
      'ddlguard.config.json': JSON.stringify({ migrations: ['migrations'], schema: 'schema.json' }),
      'schema.json': snapshot(2_000_000),
      'migrations/001.sql': MIGRATION,
    });
    client = await TestClient.start({ root });
  });

  afterAll(async () => {
    expect(await client.stop()).toBe(0);
  });

  it('diagnostics as lint gives them with the snapshot; the hover shows the size and the estimate; the snapshot is read once', async () => {
    const uri = await client.open(path.join(root, 'migrations/001.sql'), MIGRATION);
    const p = await client.diagnosticsOf(uri, 1);
    expect(p.diagnostics.map(shape)).toEqual(expectedDiagnostics(root, 'migrations/001.sql').findings);
    expect(find(p, 'column-type-rewrite')!.message).toMatch(/public\.accounts: 2M rows, 191 MB: rewrite under ACCESS EXCLUSIVE, about/);

    const hover = await client.hover(uri, 1, 20);
    const md = (hover!.contents as { value: string }).value;
    expect(md).toContain('on PostgreSQL 16');
    expect(md).toMatch(/`public\.accounts`: 2M rows, 191 MB: index build, (under 1 s|about \d+ (s|min))/);

    // Edits re-lint from the warm state: the snapshot is not read again...
    let version = 1;
    for (let i = 0; i < 3; i++) {
      version = await client.replace(uri, `${MIGRATION}-- edit ${i}\n`);
      await client.diagnosticsOf(uri, version);
    }
    const reads = () => client.logs.filter((l) => l.message.startsWith('schema: read')).length;
    expect(reads()).toBe(1);
    // ...until it changes.
    writeFileSync(path.join(root, 'schema.json'), snapshot(9_000_000));
    version = await client.replace(uri, `${MIGRATION}-- after the export\n`);
    await client.diagnosticsOf(uri, version);
    expect(reads()).toBe(2);
    const again = await client.hover(uri, 1, 20);
    expect((again!.contents as { value: string }).value).toContain('9M rows');
    await client.close(uri);
  });
});

describe('ddlguard lsp with readers in application code', () => {
  it('judges a dropped column by the readers lint finds, as lint does', async () => {
    const migration = "SET lock_timeout = '1s';\nALTER TABLE accounts DROP COLUMN legacy;\nALTER TABLE accounts DROP COLUMN other;\n";
    const root = workspace({
      'ddlguard.config.json': JSON.stringify({ migrations: ['migrations'], readers: { paths: ['src/**/*.ts'] } }),
      'migrations/001.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY, legacy text, other text);\n',
      'migrations/002.sql': migration,
      'src/app.ts': 'export const q = "SELECT legacy FROM accounts";\n',
    });
    const client = await TestClient.start({ root });
    try {
      const uri = await client.open(path.join(root, 'migrations/002.sql'), migration);
      const p = await client.diagnosticsOf(uri, 1);
      expect(p.diagnostics.map(shape)).toEqual(expectedDiagnostics(root, 'migrations/002.sql').findings);
      // legacy has a strong reader (parsed SQL in src/app.ts): error; other has none after a search: info.
      expect(p.diagnostics.filter((d) => d.code === 'drop-column').map((d) => [d.range.start.line, d.severity])).toEqual([
        [1, 1],
        [2, 3],
      ]);
    } finally {
      expect(await client.stop()).toBe(0);
    }
  });
});

describe('ddlguard lsp: errors are messages, not crashes', () => {
  it('a bad config is a window message; the server keeps running and picks up the fixed config', async () => {
    const root = workspace({
      'ddlguard.config.json': JSON.stringify({ migrations: ['migrations'], rules: { 'no-such-rule': 'error' } }),
      'migrations/001.sql': MIGRATION,
    });
    const client = await TestClient.start({ root });
    try {
      const uri = await client.open(path.join(root, 'migrations/001.sql'), MIGRATION);
      const msg = await client.until('a message', () => client.messages.find((m) => m.type === 1));
      expect(msg.message).toContain('no-such-rule');
      expect((await client.diagnosticsOf(uri, 1)).diagnostics).toEqual([]);
      expect(client.logs.some((l) => l.type === 1 && l.message.includes('no-such-rule'))).toBe(true);
      // Still answering.
      expect(await client.hover(uri, 1, 20)).toBeNull();
      expect(client.alive()).toBe(true);

      writeFileSync(path.join(root, 'ddlguard.config.json'), CONFIG.replace('db/migrations', 'migrations'));
      const n = client.publishes.length;
      await client.filesChanged([{ uri: pathToFileURL(path.join(root, 'ddlguard.config.json')).href, type: 2 }]);
      const p = await client.diagnostics(uri, (x) => x.diagnostics.length > 0, n);
      expect(find(p, 'require-concurrent-index')!.severity).toBe(2);
    } finally {
      expect(await client.stop()).toBe(0);
    }
  });

  it('an unreachable database is a warning (password masked) and linting goes on without it', async () => {
    const root = workspace({
      'ddlguard.config.json': JSON.stringify({ migrations: ['migrations'], db: 'postgresql://app:s3cret-pw@127.0.0.1:1/app?connect_timeout=2' }),
      'migrations/001.sql': MIGRATION,
    });
    const client = await TestClient.start({ root });
    try {
      const uri = await client.open(path.join(root, 'migrations/001.sql'), MIGRATION);
      const p = await client.diagnosticsOf(uri, 1);
      expect(codes(p)).toContain('require-concurrent-index');
      const msg = await client.until('a warning', () => client.messages.find((m) => m.type === 2));
      expect(msg.message).toMatch(/cannot read the schema from .*127\.0\.0\.1:1/);
      expect(msg.message).not.toContain('s3cret-pw');
      expect(client.logs.map((l) => l.message).join('\n')).not.toContain('s3cret-pw');
      // A second edit does not repeat the message.
      const v = await client.replace(uri, `${MIGRATION}-- again\n`);
      await client.diagnosticsOf(uri, v);
      expect(client.messages.filter((m) => m.type === 2)).toHaveLength(1);
      expect(client.alive()).toBe(true);
    } finally {
      expect(await client.stop()).toBe(0);
    }
  });
});
