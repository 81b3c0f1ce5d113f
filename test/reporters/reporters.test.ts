import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import {
  FORMAT_NAMES,
  githubSummaryMarkdown,
  isFormatName,
  MARKDOWN_MARKER,
  REPORTERS,
  SARIF_FINGERPRINT_KEY,
  type ReporterContext,
  type SarifLog,
} from '../../src/lint/reporters/index.js';
import type { Finding, LintResult, RuleMeta } from '../../src/lint/types.js';

const SCHEMA_FILE = fileURLToPath(new URL('../../fixtures/sarif/sarif-schema-2.1.0.json', import.meta.url));

function meta(id: string, defaultSeverity: RuleMeta['defaultSeverity'], summary: string): RuleMeta {
  return {
    id,
    category: 'blocking',
    defaultSeverity,
    summary,
    lock: 'ACCESS EXCLUSIVE',
    docs: { description: `${summary} Longer story.`, bad: 'ALTER TABLE t DROP COLUMN c;', good: '-- stop reading c first\nALTER TABLE t DROP COLUMN c;', links: ['https://www.postgresql.org/docs/current/sql-altertable.html'] },
  };
}

const RULES: RuleMeta[] = [
  meta('require-concurrent-index', 'error', 'CREATE INDEX without CONCURRENTLY blocks writes.'),
  meta('ban-drop-column', 'warning', 'Dropping a column breaks running code that reads it.'),
  meta('backfill-in-batches', 'info', 'A single UPDATE of a whole table holds row locks for long.'),
  meta('disabled-rule', 'off', 'Off by default.'),
];

const SOURCES = new Map<string, string>([
  ['migrations/001_init.sql', 'CREATE TABLE users (id int, email text, legacy text);\n'],
  ['migrations/002_index.sql', '-- index users by email\nCREATE INDEX users_email_idx\n\tON users (email);\n\nALTER TABLE users DROP COLUMN legacy, ADD COLUMN x int;\n'],
  ['migrations/003_data.sql', 'UPDATE users SET x = 1;\n'],
  ['migrations/004_bad.sql', 'SELECT 1;\nALTER TABLE users ADD COLUMN;\n'],
]);

function fixture(): LintResult {
  const findings: Finding[] = [
    {
      file: 'migrations/002_index.sql',
      line: 2,
      column: 1,
      endLine: 3,
      endColumn: 18,
      rule: 'require-concurrent-index',
      severity: 'error',
      message: 'CREATE INDEX without CONCURRENTLY takes a SHARE lock on public.users until the index is built.',
      help: 'Use CREATE INDEX CONCURRENTLY, outside a transaction block.',
      lock: { mode: 'SHARE', relation: 'public.users', blocks: 'blocks writes (reads continue)' },
      suggestion: 'CREATE INDEX CONCURRENTLY users_email_idx\n\tON users (email);',
    },
    {
      file: 'migrations/002_index.sql',
      line: 5,
      column: 19,
      endLine: 5,
      endColumn: 37,
      rule: 'ban-drop-column',
      severity: 'warning',
      message: 'Dropping column "legacy": 50% of <app> & co, still | reading it',
      help: 'Stop reading the column, deploy, then drop it.\nSee the docs.',
    },
    {
      file: 'migrations/003_data.sql',
      line: 1,
      column: 1,
      endLine: 1,
      endColumn: 23,
      rule: 'backfill-in-batches',
      severity: 'info',
      message: 'UPDATE of every row of users in one statement.',
      help: 'Update in batches of a few thousand rows.',
    },
  ];
  return {
    version: 1,
    findings,
    errors: [{ file: 'migrations/004_bad.sql', line: 2, column: 29, message: 'syntax error at or near ";"' }],
    summary: { files: 4, historyFiles: 0, statements: 5, findings: 3, errors: 1, bySeverity: { error: 1, warning: 1, info: 1 }, pgVersion: 16 },
  };
}

function emptyResult(files = 12): LintResult {
  return {
    version: 1,
    findings: [],
    errors: [],
    summary: { files, historyFiles: 2, statements: 40, findings: 0, errors: 0, bySeverity: { error: 0, warning: 0, info: 0 }, pgVersion: 16 },
  };
}

const CWD = path.resolve('/repo');
function ctx(extra: Partial<ReporterContext> = {}): ReporterContext {
  return { rules: RULES, cwd: CWD, color: false, sources: SOURCES, files: [...SOURCES.keys()], toolVersion: '1.2.3', ...extra };
}

/** Move every finding `n` lines down, as if lines were inserted at the top of each file. */
function shifted(result: LintResult, n: number): { result: LintResult; sources: Map<string, string> } {
  const sources = new Map([...SOURCES].map(([k, v]) => [k, '\n'.repeat(n) + v]));
  return {
    result: {
      ...result,
      findings: result.findings.map((f) => ({ ...f, line: f.line + n, endLine: f.endLine + n })),
      errors: result.errors.map((e) => ({ ...e, line: e.line + n })),
    },
    sources,
  };
}

describe('REPORTERS', () => {
  it('has every format, each returning newline-terminated text', () => {
    expect(Object.keys(REPORTERS).sort()).toEqual([...FORMAT_NAMES].sort());
    for (const name of FORMAT_NAMES) {
      const out = REPORTERS[name](fixture(), ctx());
      expect(out.endsWith('\n'), name).toBe(true);
      expect(out.endsWith('\n\n'), name).toBe(false);
    }
    expect(isFormatName('sarif')).toBe(true);
    expect(isFormatName('xml')).toBe(false);
  });

  it('does not mutate the result', () => {
    const r = fixture();
    const before = JSON.stringify(r);
    for (const name of FORMAT_NAMES) REPORTERS[name](r, ctx());
    expect(JSON.stringify(r)).toBe(before);
  });
});

describe('tty', () => {
  it('prints code frames with the span underlined, lock, help and suggestion', () => {
    const out = REPORTERS.tty(fixture(), ctx());
    expect(out).toBe(
      [
        'migrations/002_index.sql:2:1  error  require-concurrent-index',
        '  CREATE INDEX without CONCURRENTLY takes a SHARE lock on public.users until the index is built.',
        '',
        '  2 | CREATE INDEX users_email_idx',
        '    | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
        '  3 |     ON users (email);',
        '    |     ^^^^^^^^^^^^^^^^',
        '',
        '  lock: SHARE on public.users (blocks writes (reads continue))',
        '  help: Use CREATE INDEX CONCURRENTLY, outside a transaction block.',
        '  suggestion:',
        '      CREATE INDEX CONCURRENTLY users_email_idx',
        '          ON users (email);',
        '',
        'migrations/002_index.sql:5:19  warning  ban-drop-column',
        '  Dropping column "legacy": 50% of <app> & co, still | reading it',
        '',
        '  5 | ALTER TABLE users DROP COLUMN legacy, ADD COLUMN x int;',
        '    |                   ^^^^^^^^^^^^^^^^^^',
        '',
        '  help: Stop reading the column, deploy, then drop it.',
        '        See the docs.',
        '',
        'migrations/003_data.sql:1:1  info  backfill-in-batches',
        '  UPDATE of every row of users in one statement.',
        '',
        '  1 | UPDATE users SET x = 1;',
        '    | ^^^^^^^^^^^^^^^^^^^^^^',
        '',
        '  help: Update in batches of a few thousand rows.',
        '',
        'migrations/004_bad.sql:2:29 error parse-error: syntax error at or near ";"',
        '',
        '  2 | ALTER TABLE users ADD COLUMN;',
        '    |                             ^',
        '',
        '✖ 4 problems (2 errors, 1 warning, 1 info) in 3 files',
        '',
      ].join('\n'),
    );
  });

  it('prints the summary with singulars and the success line', () => {
    expect(REPORTERS.tty(emptyResult(), ctx())).toBe('✓ 12 files checked, no problems\n');
    expect(REPORTERS.tty(emptyResult(1), ctx())).toBe('✓ 1 file checked, no problems\n');
    const one = fixture();
    one.findings = one.findings.slice(1, 2);
    one.errors = [];
    expect(REPORTERS.tty(one, ctx()).trimEnd().split('\n').pop()).toBe('✖ 1 problem (0 errors, 1 warning) in 1 file');
  });

  it('uses ANSI colors only when asked', () => {
    expect(REPORTERS.tty(fixture(), ctx({ color: false }))).not.toMatch(/\x1b\[/);
    const colored = REPORTERS.tty(fixture(), ctx({ color: true }));
    expect(colored).toMatch(/\x1b\[/);
    // Same text once the escapes are stripped.
    expect(colored.replace(/\x1b\[[0-9;]*m/g, '')).toBe(REPORTERS.tty(fixture(), ctx({ color: false })));
  });

  it('prints no frame without sources, and elides long statements', () => {
    const noSrc = REPORTERS.tty(fixture(), ctx({ sources: undefined }));
    expect(noSrc).not.toMatch(/^ +\d* \|/m);
    expect(noSrc).toContain('migrations/002_index.sql:2:1  error  require-concurrent-index\n  CREATE INDEX');

    const lines = Array.from({ length: 20 }, (_, i) => `  col_${i + 1} int,`);
    const text = `CREATE TABLE big (\n${lines.join('\n')}\n  last int\n);\n`;
    const r = emptyResult(1);
    r.findings = [{ file: 'big.sql', line: 1, column: 1, endLine: 23, endColumn: 2, rule: 'ban-drop-column', severity: 'warning', message: 'm', help: '' }];
    const out = REPORTERS.tty(r, ctx({ sources: new Map([['big.sql', text]]) }));
    expect(out).toContain('   1 | CREATE TABLE big (\n');
    expect(out).toContain('   4 |   col_3 int,\n');
    expect(out).not.toContain('col_4 int');
    expect(out).toContain('  ...\n');
    expect(out).toContain('  22 |   last int\n     |   ^^^^^^^^\n  23 | );\n     | ^\n');
  });

  it('reports paths relative to cwd', () => {
    const r = fixture();
    r.findings = r.findings.map((f) => ({ ...f, file: path.join(CWD, f.file) }));
    r.errors = [];
    const out = REPORTERS.tty(r, ctx({ sources: undefined }));
    expect(out).toContain('\nmigrations/002_index.sql:5:19  warning');
  });
});

describe('json', () => {
  it('is the LintResult, pretty-printed', () => {
    const r = fixture();
    const out = REPORTERS.json(r, ctx());
    expect(out).toBe(`${JSON.stringify(r, null, 2)}\n`);
    const parsed = JSON.parse(out) as LintResult;
    expect(parsed).toEqual(r);
    expect(Object.keys(parsed)).toEqual(['version', 'findings', 'errors', 'summary']);
    expect(parsed.version).toBe(1);
  });
});

describe('sarif', () => {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;

  function validator() {
    // The OASIS schema is draft-04 ("id", "$schema" draft-04); Ajv 8 reads it as draft-07,
    // which is the same for every keyword this schema uses once "id" is "$id".
    const { $schema: _ignored, id, ...rest } = schema;
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addFormat('uri', (s: string) => {
      try {
        return new URL(s).protocol.length > 1;
      } catch {
        return false;
      }
    });
    ajv.addFormat('uri-reference', (s: string) => !/\s/.test(s));
    ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
    return ajv.compile({ ...rest, $id: id as string });
  }

  it('ships the official SARIF 2.1.0 schema', () => {
    expect(schema.title).toBe('Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema');
    expect(schema.id).toBe('https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json');
  });

  it('validates against the SARIF 2.1.0 schema', () => {
    const validate = validator();
    for (const r of [fixture(), emptyResult()]) {
      const log = JSON.parse(REPORTERS.sarif(r, ctx())) as unknown;
      const ok = validate(log);
      expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
      expect(ok).toBe(true);
    }
    // The schema is not vacuous: a broken log fails.
    const broken = JSON.parse(REPORTERS.sarif(fixture(), ctx())) as SarifLog;
    (broken.runs[0]!.results[0] as unknown as Record<string, unknown>).level = 'fatal';
    expect(validate(broken)).toBe(false);
  });

  it('describes every rule plus parse-error in tool.driver', () => {
    const log = JSON.parse(REPORTERS.sarif(fixture(), ctx())) as SarifLog;
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-schema-2\.1\.0\.json$/);
    expect(log.runs).toHaveLength(1);
    const driver = log.runs[0]!.tool.driver;
    expect(driver.name).toBe('ddlguard');
    expect(driver.version).toBe('1.2.3');
    expect(driver.informationUri).toBe('https://github.com/ddlguard/ddlguard');
    expect(driver.rules.map((r) => r.id)).toEqual(['require-concurrent-index', 'ban-drop-column', 'backfill-in-batches', 'disabled-rule', 'parse-error']);
    const rule = driver.rules[1]!;
    expect(rule).toMatchObject({
      id: 'ban-drop-column',
      name: 'BanDropColumn',
      shortDescription: { text: 'Dropping a column breaks running code that reads it.' },
      fullDescription: { text: 'Dropping a column breaks running code that reads it. Longer story.' },
      helpUri: 'https://github.com/ddlguard/ddlguard/blob/main/docs/rules/ban-drop-column.md',
      defaultConfiguration: { enabled: true, level: 'warning' },
    });
    expect(rule.help.markdown).toContain('```sql\nALTER TABLE t DROP COLUMN c;\n```');
    expect(rule.help.text).toContain('https://www.postgresql.org/docs/current/sql-altertable.html');
    expect(driver.rules[2]!.defaultConfiguration.level).toBe('note');
    expect(driver.rules[3]!.defaultConfiguration).toEqual({ enabled: false, level: 'none' });
  });

  it('maps findings to results with 1-based regions and relative uris', () => {
    const r = fixture();
    const log = JSON.parse(REPORTERS.sarif(r, ctx())) as SarifLog;
    const run = log.runs[0]!;
    expect(run.columnKind).toBe('utf16CodeUnits');
    expect(run.originalUriBaseIds['%SRCROOT%']!.uri).toMatch(/^file:\/\/.*\/$/);
    const results = run.results;
    expect(results).toHaveLength(4);
    results.forEach((res) => expect(run.tool.driver.rules[res.ruleIndex]!.id).toBe(res.ruleId));
    expect(results.map((x) => x.level)).toEqual(['error', 'warning', 'note', 'error']);
    const first = results[0]!;
    expect(first.message.text).toBe(`${r.findings[0]!.message}\n${r.findings[0]!.help}`);
    expect(first.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: 'migrations/002_index.sql', uriBaseId: '%SRCROOT%' },
      region: { startLine: 2, startColumn: 1, endLine: 3, endColumn: 18 },
    });
    expect(results[1]!.locations[0]!.physicalLocation.region).toEqual({ startLine: 5, startColumn: 19, endLine: 5, endColumn: 37 });
    const parse = results[3]!;
    expect(parse.ruleId).toBe('parse-error');
    expect(parse.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: 'migrations/004_bad.sql', uriBaseId: '%SRCROOT%' },
      region: { startLine: 2, startColumn: 29 },
    });
    expect(first.properties).toMatchObject({ lock: r.findings[0]!.lock, suggestion: r.findings[0]!.suggestion });
  });

  it('the region covers exactly the finding span of the source', () => {
    const log = JSON.parse(REPORTERS.sarif(fixture(), ctx())) as SarifLog;
    const region = log.runs[0]!.results[1]!.locations[0]!.physicalLocation.region;
    const line = SOURCES.get('migrations/002_index.sql')!.split('\n')[region.startLine - 1]!;
    expect(line.slice(region.startColumn - 1, region.endColumn! - 1)).toBe('DROP COLUMN legacy');
  });

  it('makes absolute and Windows-style paths relative with forward slashes; escapes uris', () => {
    const r = fixture();
    r.findings = [{ ...r.findings[0]!, file: path.join(CWD, 'db', 'my migrations', '002 index.sql') }, { ...r.findings[1]!, file: 'db\\sub\\x.sql' }];
    r.errors = [{ ...r.errors[0]!, file: path.resolve(CWD, '..', 'elsewhere', 'x.sql') }];
    const results = (JSON.parse(REPORTERS.sarif(r, ctx())) as SarifLog).runs[0]!.results;
    expect(results[0]!.locations[0]!.physicalLocation.artifactLocation).toEqual({ uri: 'db/my%20migrations/002%20index.sql', uriBaseId: '%SRCROOT%' });
    expect(results[1]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('db/sub/x.sql');
    // Outside the source root: an absolute file URI, no base.
    expect(results[2]!.locations[0]!.physicalLocation.artifactLocation).toEqual({ uri: expect.stringMatching(/^file:\/\/.*\/elsewhere\/x\.sql$/) });
  });

  it('describes a rule missing from ctx.rules instead of dangling ruleIndex', () => {
    const r = fixture();
    r.findings.push({ ...r.findings[2]!, rule: 'brand-new-rule' });
    const log = JSON.parse(REPORTERS.sarif(r, ctx())) as SarifLog;
    const res = log.runs[0]!.results.find((x) => x.ruleId === 'brand-new-rule')!;
    expect(log.runs[0]!.tool.driver.rules[res.ruleIndex]!.id).toBe('brand-new-rule');
    expect(validator()(log)).toBe(true);
  });

  it('has partialFingerprints that survive lines inserted above', () => {
    const r = fixture();
    const before = (JSON.parse(REPORTERS.sarif(r, ctx())) as SarifLog).runs[0]!.results.map((x) => x.partialFingerprints[SARIF_FINGERPRINT_KEY]);
    const s = shifted(r, 3);
    const after = (JSON.parse(REPORTERS.sarif(s.result, ctx({ sources: s.sources }))) as SarifLog).runs[0]!.results.map((x) => x.partialFingerprints[SARIF_FINGERPRINT_KEY]);
    expect(after).toEqual(before);
    expect(new Set(before).size).toBe(before.length);
  });
});

describe('github', () => {
  it('prints one workflow command per problem', () => {
    const out = REPORTERS.github(fixture(), ctx());
    expect(out.split('\n')).toEqual([
      '::error file=migrations/002_index.sql,line=2,endLine=3,title=ddlguard(require-concurrent-index)::CREATE INDEX without CONCURRENTLY takes a SHARE lock on public.users until the index is built.%0AUse CREATE INDEX CONCURRENTLY, outside a transaction block.',
      '::warning file=migrations/002_index.sql,line=5,endLine=5,col=19,endColumn=36,title=ddlguard(ban-drop-column)::Dropping column "legacy": 50%25 of <app> & co, still | reading it%0AStop reading the column, deploy, then drop it.%0ASee the docs.',
      '::notice file=migrations/003_data.sql,line=1,endLine=1,col=1,endColumn=22,title=ddlguard(backfill-in-batches)::UPDATE of every row of users in one statement.%0AUpdate in batches of a few thousand rows.',
      '::error file=migrations/004_bad.sql,line=2,col=29,title=ddlguard(parse-error)::syntax error at or near ";"',
      '',
    ]);
  });

  it('escapes properties and data', () => {
    const r = emptyResult(1);
    r.findings = [{ file: 'a,b:c%.sql', line: 1, column: 1, endLine: 1, endColumn: 2, rule: 'x', severity: 'warning', message: 'a\r\nb: c, 100%', help: '' }];
    expect(REPORTERS.github(r, ctx())).toBe('::warning file=a%2Cb%3Ac%25.sql,line=1,endLine=1,col=1,endColumn=1,title=ddlguard(x)::a%0D%0Ab: c, 100%25\n');
  });

  it('prints nothing when there is nothing to say', () => {
    expect(REPORTERS.github(emptyResult(), ctx())).toBe('');
  });

  it('githubSummaryMarkdown summarizes for $GITHUB_STEP_SUMMARY', () => {
    const md = githubSummaryMarkdown(fixture(), ctx());
    expect(md).toContain('## ddlguard lint: ❌ 4 problems (2 errors, 1 warning, 1 info) in 3 files');
    expect(md).toContain('| 5 | [`ban-drop-column`]');
    expect(githubSummaryMarkdown(emptyResult(), ctx())).toContain('## ddlguard lint: ✅ no problems');
  });
});

describe('gitlab', () => {
  type Issue = { description: string; check_name: string; fingerprint: string; severity: string; location: { path: string; lines: { begin: number } } };
  const parse = (s: string): Issue[] => JSON.parse(s) as Issue[];

  it('produces a Code Quality report', () => {
    const issues = parse(REPORTERS.gitlab(fixture(), ctx()));
    expect(issues.map((i) => [i.check_name, i.severity, i.location.path, i.location.lines.begin])).toEqual([
      ['require-concurrent-index', 'critical', 'migrations/002_index.sql', 2],
      ['ban-drop-column', 'major', 'migrations/002_index.sql', 5],
      ['backfill-in-batches', 'info', 'migrations/003_data.sql', 1],
      ['parse-error', 'critical', 'migrations/004_bad.sql', 2],
    ]);
    expect(issues[0]!.description).toBe(fixture().findings[0]!.message);
    for (const i of issues) expect(i.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(issues.map((i) => i.fingerprint)).size).toBe(4);
    expect(parse(REPORTERS.gitlab(emptyResult(), ctx()))).toEqual([]);
  });

  it('keeps fingerprints when unrelated lines move, and tells repeated findings apart', () => {
    const r = fixture();
    const before = parse(REPORTERS.gitlab(r, ctx())).map((i) => i.fingerprint);
    const s = shifted(r, 7);
    expect(parse(REPORTERS.gitlab(s.result, ctx({ sources: s.sources }))).map((i) => i.fingerprint)).toEqual(before);
    // Reformatting the statement (whitespace) keeps it too.
    const reformatted = new Map(SOURCES);
    reformatted.set('migrations/002_index.sql', '-- index users by email\nCREATE INDEX users_email_idx\n\tON users (email);\n\nALTER TABLE users DROP   COLUMN legacy, ADD COLUMN x int;\n');
    const r2 = fixture();
    r2.findings[1] = { ...r2.findings[1]!, endColumn: 39 };
    expect(parse(REPORTERS.gitlab(r2, ctx({ sources: reformatted })))[1]!.fingerprint).toBe(before[1]);
    // The same finding twice on the same statement: distinct fingerprints.
    const twice = fixture();
    twice.findings.splice(1, 0, { ...twice.findings[0]! });
    const fps = parse(REPORTERS.gitlab(twice, ctx())).map((i) => i.fingerprint);
    expect(fps[0]).toBe(before[0]);
    expect(fps[1]).not.toBe(fps[0]);
    // Without sources, the message stands in for the statement.
    const noSrc = parse(REPORTERS.gitlab(r, ctx({ sources: undefined }))).map((i) => i.fingerprint);
    expect(noSrc[0]).not.toBe(before[0]);
    expect(parse(REPORTERS.gitlab(s.result, ctx({ sources: undefined }))).map((i) => i.fingerprint)).toEqual(noSrc);
  });
});

describe('junit', () => {
  it('has a testsuite per file and a testcase per finding', () => {
    const xml = REPORTERS.junit(fixture(), ctx());
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="ddlguard" tests="5" failures="3" errors="1">\n')).toBe(true);
    expect(xml).toContain(
      '  <testsuite name="migrations/001_init.sql" tests="1" failures="0" errors="0" skipped="0">\n' +
        '    <testcase classname="migrations/001_init.sql" name="no problems" file="migrations/001_init.sql"/>\n' +
        '  </testsuite>',
    );
    expect(xml).toContain('<testsuite name="migrations/002_index.sql" tests="2" failures="2" errors="0" skipped="0">');
    expect(xml).toContain('<testcase classname="migrations/002_index.sql" file="migrations/002_index.sql" line="5" name="ban-drop-column at 5:19">');
    expect(xml).toContain('<error type="parse-error" message="syntax error at or near &quot;;&quot;">');
    expect((xml.match(/<testsuite /g) ?? []).length).toBe(4);
    expect((xml.match(/<testcase /g) ?? []).length).toBe(5);
    expect((xml.match(/<failure /g) ?? []).length).toBe(3);
  });

  it('escapes XML in attributes and text', () => {
    const xml = REPORTERS.junit(fixture(), ctx());
    expect(xml).toContain('message="ban-drop-column: Dropping column &quot;legacy&quot;: 50% of &lt;app&gt; &amp; co, still | reading it"');
    expect(xml).toContain('>migrations/002_index.sql:5:19  warning  ban-drop-column\nDropping column "legacy": 50% of &lt;app&gt; &amp; co, still | reading it\nhelp: Stop reading');
    // Nothing unescaped between tags.
    const text = xml.replace(/<[^<>]*>/g, '');
    expect(text).not.toMatch(/[<>]/);
    expect(text).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;|#\d+;)/);
    // Characters XML cannot carry are replaced.
    const r = emptyResult(1);
    r.findings = [{ file: 'a.sql', line: 1, column: 1, endLine: 1, endColumn: 2, rule: 'x', severity: 'error', message: 'bad \u0001 char', help: 'line1\nline2' }];
    const x2 = REPORTERS.junit(r, ctx({ files: ['a.sql'] }));
    expect(x2).not.toContain('\u0001');
    expect(x2).toContain('message="x: bad \uFFFD char"');
  });

  it('lists files without findings from sources when files is not given, and never emits an empty report', () => {
    const xml = REPORTERS.junit(emptyResult(2), ctx({ files: undefined, sources: new Map([['b.sql', ''], ['a.sql', '']]) }));
    expect(xml.indexOf('name="a.sql"')).toBeLessThan(xml.indexOf('name="b.sql"'));
    expect(xml).toContain('tests="2" failures="0" errors="0"');
    const bare = REPORTERS.junit(emptyResult(3), ctx({ files: undefined, sources: undefined }));
    expect(bare).toContain('<testcase classname="ddlguard" name="3 files checked"/>');
  });
});

describe('markdown', () => {
  it('renders a PR comment with counts, a table per file and details', () => {
    const md = REPORTERS.markdown(fixture(), ctx());
    const lines = md.split('\n');
    expect(lines[0]).toBe(MARKDOWN_MARKER);
    expect(lines[1]).toBe('## ddlguard: ❌ 4 problems (2 errors, 1 warning, 1 info) in 3 files');
    expect(md).toContain('4 files checked (5 statements) against PostgreSQL 16.');
    expect(md).toContain(
      '### `migrations/002_index.sql`\n\n| Line | Rule | Severity | Message |\n| ---: | --- | --- | --- |\n' +
        '| 2 | [`require-concurrent-index`](https://github.com/ddlguard/ddlguard/blob/main/docs/rules/require-concurrent-index.md) | 🛑 error | CREATE INDEX without CONCURRENTLY takes a SHARE lock on public.users until the index is built. |\n' +
        '| 5 | [`ban-drop-column`](https://github.com/ddlguard/ddlguard/blob/main/docs/rules/ban-drop-column.md) | ⚠️ warning | Dropping column &quot;legacy&quot;: 50% of &lt;app&gt; &amp; co, still \\| reading it |\n',
    );
    expect(md).toContain(
      '<details>\n<summary>Line 2: <code>require-concurrent-index</code> — CREATE INDEX without CONCURRENTLY takes a SHARE lock on public.users until the index is built.</summary>\n\n' +
        '**Lock:** `SHARE` on `public.users` (blocks writes (reads continue))\n\n' +
        'Use CREATE INDEX CONCURRENTLY, outside a transaction block.\n\n' +
        'Suggested:\n\n```sql\nCREATE INDEX CONCURRENTLY users_email_idx\n\tON users (email);\n```\n\n</details>\n',
    );
    expect(md).toContain('| 1 | [`backfill-in-batches`]');
    expect(md).toContain('| 2 | `parse-error` | 🛑 error | syntax error at or near &quot;;&quot; |');
    expect((md.match(/<details>/g) ?? []).length).toBe((md.match(/<\/details>/g) ?? []).length);
  });

  it('says so when there are no problems, and survives backticks in suggestions', () => {
    expect(REPORTERS.markdown(emptyResult(), ctx())).toBe(
      `${MARKDOWN_MARKER}\n## ddlguard: ✅ no problems\n\n12 files checked (40 statements, 2 history files replayed) against PostgreSQL 16.\n`,
    );
    const r = emptyResult(1);
    r.findings = [{ file: 'a.sql', line: 1, column: 1, endLine: 1, endColumn: 2, rule: 'x', severity: 'warning', message: 'm', help: 'h', suggestion: 'SELECT 1; -- ```' }];
    expect(REPORTERS.markdown(r, ctx())).toContain('````sql\nSELECT 1; -- ```\n````');
  });
});
