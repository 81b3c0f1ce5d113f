/**
 * Reporters over a LintResult the real engine produced: positions are 1-based
 * and point at the statement in the source, in every format.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import rule from '../../rules/require-concurrent-index.js';
import { lintSources, type SourceFile } from '../../src/lint/engine.js';
import { REPORTERS, type ReporterContext, type SarifLog } from '../../src/lint/reporters/index.js';
import type { LintResult } from '../../src/lint/types.js';
import { loadParser } from '../../src/sql/parser.js';

const SOURCES: SourceFile[] = [
  { displayPath: 'migrations/001_init.sql', text: 'CREATE TABLE users (id int, email text, "naïve" text);\n', role: 'history', transaction: 'none' },
  {
    displayPath: 'migrations/002_index.sql',
    text: '-- café: index the emails\nSELECT 1;\n  CREATE INDEX users_email_idx\n    ON users (email);\nCREATE INDEX "idx_é" ON users ("naïve");\n',
    role: 'lint',
    transaction: 'none',
  },
];

let result: LintResult;
let ctx: ReporterContext;
beforeAll(async () => {
  await loadParser();
  result = lintSources(SOURCES, { pgVersion: 16, rules: [rule], severities: new Map() });
  ctx = {
    rules: [rule.meta],
    cwd: process.cwd(),
    color: false,
    sources: new Map(SOURCES.map((s) => [s.displayPath, s.text])),
    files: SOURCES.filter((s) => s.role === 'lint').map((s) => s.displayPath),
    toolVersion: '0.0.0-test',
  };
});

describe('reporters over engine output', () => {
  it('the engine reports 1-based spans of the statements', () => {
    expect(result.errors).toEqual([]);
    expect(result.findings.map((f) => [f.rule, f.line, f.column, f.endLine, f.endColumn])).toEqual([
      ['require-concurrent-index', 3, 3, 4, 21],
      ['require-concurrent-index', 5, 1, 5, 40],
    ]);
  });

  it('tty underlines the statement', () => {
    const out = REPORTERS.tty(result, ctx);
    expect(out).toContain('migrations/002_index.sql:3:3  error  require-concurrent-index\n');
    expect(out).toContain('  3 |   CREATE INDEX users_email_idx\n    |   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  4 |     ON users (email)');
    expect(out).toContain('  5 | CREATE INDEX "idx_é" ON users ("naïve");\n    | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n');
    expect(out).toContain('✖ 2 problems (2 errors, 0 warnings) in 1 file');
  });

  it('sarif and github locate the same 1-based positions', () => {
    const sarif = JSON.parse(REPORTERS.sarif(result, ctx)) as SarifLog;
    const regions = sarif.runs[0]!.results.map((r) => r.locations[0]!.physicalLocation.region);
    expect(regions).toEqual([
      { startLine: 3, startColumn: 3, endLine: 4, endColumn: 21 },
      { startLine: 5, startColumn: 1, endLine: 5, endColumn: 40 },
    ]);
    const text = ctx.sources!.get('migrations/002_index.sql')!.split('\n');
    // Columns count UTF-16 code units (run.columnKind), as JavaScript strings do.
    expect(text[4]!.slice(regions[1]!.startColumn - 1, regions[1]!.endColumn! - 1)).toBe('CREATE INDEX "idx_é" ON users ("naïve")');
    expect(REPORTERS.github(result, ctx)).toContain('::error file=migrations/002_index.sql,line=5,endLine=5,col=1,endColumn=39,title=ddlguard(require-concurrent-index)::');
    const junit = REPORTERS.junit(result, ctx);
    expect(junit).toContain('name="require-concurrent-index at 3:3"');
  });
});
