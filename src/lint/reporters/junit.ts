/**
 * JUnit XML, for CI systems that show test reports (GitLab `reports: junit`,
 * Jenkins, Azure Pipelines...): one testsuite per file, one failing testcase
 * per finding (parse errors are `<error>`s), a passing testcase for a file
 * without problems.
 */
import type { Finding, LintError, LintResult } from '../types.js';
import type { ReporterContext } from './types.js';
import { groupByFile, lockText, orderedItems, PARSE_ERROR_ID, plural, reportPath, type Item } from './util.js';

// Characters XML 1.0 cannot carry at all, even escaped.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXmlText(s: string): string {
  return s.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeXmlAttr(s: string): string {
  return escapeXmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function attrs(a: Record<string, string | number>): string {
  return Object.entries(a)
    .map(([k, v]) => ` ${k}="${escapeXmlAttr(String(v))}"`)
    .join('');
}

function findingDetails(f: Finding, file: string): string {
  const lines = [`${file}:${f.line}:${f.column}  ${f.severity}  ${f.rule}`, f.message];
  const lock = lockText(f);
  if (lock) lines.push(`lock: ${lock}`);
  if (f.help) lines.push(`help: ${f.help}`);
  if (f.suggestion) lines.push('suggestion:', ...f.suggestion.replace(/\s+$/, '').split('\n').map((l) => `    ${l}`));
  return lines.join('\n');
}

function errorDetails(e: LintError, file: string): string {
  return `${file}:${e.line}:${e.column}  error  ${PARSE_ERROR_ID}\n${e.message}`;
}

export function junitReporter(result: LintResult, ctx: ReporterContext): string {
  const byFile = groupByFile(orderedItems(result));
  const files: string[] = [];
  const seen = new Set<string>();
  const add = (f: string): void => {
    if (!seen.has(f)) {
      seen.add(f);
      files.push(f);
    }
  };
  if (ctx.files) for (const f of ctx.files) add(f);
  const rest = [...(ctx.files ? [] : [...(ctx.sources?.keys() ?? [])]), ...byFile.keys()].sort();
  for (const f of rest) add(f);

  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  for (const file of files) {
    const shown = reportPath(file, ctx.cwd);
    const items: Item[] = byFile.get(file) ?? [];
    const cases: string[] = [];
    let sFailures = 0;
    let sErrors = 0;
    for (const it of items) {
      const base = { classname: shown, file: shown, line: it.line };
      if (it.kind === 'error') {
        sErrors++;
        cases.push(
          `    <testcase${attrs({ ...base, name: `${PARSE_ERROR_ID} at ${it.line}:${it.column}` })}>\n` +
            `      <error${attrs({ type: PARSE_ERROR_ID, message: it.error.message })}>${escapeXmlText(errorDetails(it.error, shown))}</error>\n` +
            `    </testcase>`,
        );
      } else {
        const f = it.finding;
        sFailures++;
        cases.push(
          `    <testcase${attrs({ ...base, name: `${f.rule} at ${f.line}:${f.column}` })}>\n` +
            `      <failure${attrs({ type: f.severity, message: `${f.rule}: ${f.message}` })}>${escapeXmlText(findingDetails(f, shown))}</failure>\n` +
            `    </testcase>`,
        );
      }
    }
    if (cases.length === 0) cases.push(`    <testcase${attrs({ classname: shown, name: 'no problems', file: shown })}/>`);
    tests += cases.length;
    failures += sFailures;
    errors += sErrors;
    suites.push(
      `  <testsuite${attrs({ name: shown, tests: cases.length, failures: sFailures, errors: sErrors, skipped: 0 })}>\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  if (suites.length === 0) {
    tests = 1;
    suites.push(
      `  <testsuite${attrs({ name: 'ddlguard', tests: 1, failures: 0, errors: 0, skipped: 0 })}>\n` +
        `    <testcase${attrs({ classname: 'ddlguard', name: `${plural(result.summary.files, 'file')} checked` })}/>\n` +
        `  </testsuite>`,
    );
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites${attrs({ name: 'ddlguard', tests, failures, errors })}>\n${suites.join('\n')}\n</testsuites>\n`
  );
}
