/**
 * SARIF 2.1.0 (OASIS), for GitHub code scanning and other SARIF viewers.
 * Validated against fixtures/sarif/sarif-schema-2.1.0.json in the tests.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LintResult, RuleMeta, Severity, SeveritySetting } from '../types.js';
import type { ReporterContext } from './types.js';
import { fingerprints, INFORMATION_URI, PARSE_ERROR_ID, reportPath, ruleDocsUrl, TOOL_NAME } from './util.js';

export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** Key of our entry in result.partialFingerprints. */
export const SARIF_FINGERPRINT_KEY = 'ddlguardFingerprint/v1';
const SRCROOT = '%SRCROOT%';

type Level = 'none' | 'note' | 'warning' | 'error';

export interface SarifReportingDescriptor {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  helpUri: string;
  defaultConfiguration: { enabled: boolean; level: Level };
  properties: { category: string; lock: string; tags: string[] };
}

export interface SarifRegion {
  startLine: number;
  startColumn: number;
  endLine?: number;
  endColumn?: number;
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: Level;
  message: { text: string };
  locations: Array<{ physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: SarifRegion } }>;
  partialFingerprints: Record<string, string>;
  properties?: Record<string, unknown>;
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: Array<{
    tool: { driver: { name: string; version: string; semanticVersion?: string; informationUri: string; rules: SarifReportingDescriptor[] } };
    originalUriBaseIds: Record<string, { uri: string; description: { text: string } }>;
    columnKind: 'utf16CodeUnits';
    results: SarifResult[];
  }>;
}

export function sarifLevel(s: Severity | SeveritySetting): Level {
  if (s === 'error') return 'error';
  if (s === 'warning') return 'warning';
  if (s === 'info') return 'note';
  return 'none';
}

/** `require-concurrent-index` -> `RequireConcurrentIndex` (SARIF's human-readable rule name). */
function pascal(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

function fence(sql: string): string {
  const longest = Math.max(2, ...[...sql.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}sql\n${sql.replace(/\s+$/, '')}\n${f}`;
}

function descriptor(r: RuleMeta): SarifReportingDescriptor {
  const links = r.docs.links;
  const text = [
    r.docs.description,
    `Bad:\n${r.docs.bad}`,
    `Good:\n${r.docs.good}`,
    ...(links.length > 0 ? [`See:\n${links.join('\n')}`] : []),
    `Docs: ${ruleDocsUrl(r.id)}`,
  ].join('\n\n');
  const markdown = [
    r.docs.description,
    `**Bad**\n\n${fence(r.docs.bad)}`,
    `**Good**\n\n${fence(r.docs.good)}`,
    ...(links.length > 0 ? [`**See**\n\n${links.map((l) => `- <${l}>`).join('\n')}`] : []),
    `[Rule documentation](${ruleDocsUrl(r.id)})`,
  ].join('\n\n');
  return {
    id: r.id,
    name: pascal(r.id),
    shortDescription: { text: r.summary },
    fullDescription: { text: r.docs.description },
    help: { text, markdown },
    helpUri: ruleDocsUrl(r.id),
    defaultConfiguration: { enabled: r.defaultSeverity !== 'off', level: sarifLevel(r.defaultSeverity) },
    properties: { category: r.category, lock: r.lock, tags: [TOOL_NAME, r.category] },
  };
}

const PARSE_ERROR_RULE: SarifReportingDescriptor = {
  id: PARSE_ERROR_ID,
  name: 'ParseError',
  shortDescription: { text: 'The migration file could not be parsed, so it was not checked.' },
  fullDescription: {
    text: 'ddlguard parses migrations with the PostgreSQL parser. A file that does not parse (or has an invalid ddlguard directive comment) is not linted; later files are linted without its changes.',
  },
  help: {
    text: 'Fix the syntax error at the reported position; ddlguard can only check SQL that PostgreSQL accepts.',
    markdown: 'Fix the syntax error at the reported position; ddlguard can only check SQL that PostgreSQL accepts.',
  },
  helpUri: INFORMATION_URI,
  defaultConfiguration: { enabled: true, level: 'error' },
  properties: { category: 'parse', lock: '', tags: [TOOL_NAME] },
};

function artifactLocation(file: string, cwd: string): { uri: string; uriBaseId?: string } {
  const rel = reportPath(file, cwd);
  if (rel.startsWith('../') || rel === '..' || path.isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) {
    return { uri: pathToFileURL(path.resolve(cwd, file)).href };
  }
  return { uri: rel.split('/').map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

function srcrootUri(cwd: string): string {
  const href = pathToFileURL(path.resolve(cwd)).href;
  return href.endsWith('/') ? href : `${href}/`;
}

export function buildSarif(result: LintResult, ctx: ReporterContext): SarifLog {
  const rules = ctx.rules.map(descriptor);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const ruleIndex = (id: string): number => {
    let i = index.get(id);
    if (i === undefined) {
      // A finding from a rule the context does not describe: give it a minimal descriptor.
      i = id === PARSE_ERROR_ID ? rules.push(PARSE_ERROR_RULE) - 1 : rules.push(unknownDescriptor(id)) - 1;
      index.set(id, i);
    }
    return i;
  };
  ruleIndex(PARSE_ERROR_ID);

  const fp = fingerprints(result, ctx);
  const results: SarifResult[] = [];
  result.findings.forEach((f, i) => {
    const properties: Record<string, unknown> = { severity: f.severity };
    if (f.lock) properties.lock = f.lock;
    if (f.size) properties.size = f.size;
    if (f.estimate) properties.estimate = f.estimate;
    if (f.suggestion) properties.suggestion = f.suggestion;
    results.push({
      ruleId: f.rule,
      ruleIndex: ruleIndex(f.rule),
      level: sarifLevel(f.severity),
      message: { text: f.help ? `${f.message}\n${f.help}` : f.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: artifactLocation(f.file, ctx.cwd),
            region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn },
          },
        },
      ],
      partialFingerprints: { [SARIF_FINGERPRINT_KEY]: fp.findings[i]! },
      properties,
    });
  });
  result.errors.forEach((e, i) => {
    results.push({
      ruleId: PARSE_ERROR_ID,
      ruleIndex: ruleIndex(PARSE_ERROR_ID),
      level: 'error',
      message: { text: e.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: artifactLocation(e.file, ctx.cwd),
            region: { startLine: Math.max(1, e.line), startColumn: Math.max(1, e.column) },
          },
        },
      ],
      partialFingerprints: { [SARIF_FINGERPRINT_KEY]: fp.errors[i]! },
    });
  });

  const driver: SarifLog['runs'][number]['tool']['driver'] = { name: TOOL_NAME, version: ctx.toolVersion, informationUri: INFORMATION_URI, rules };
  if (/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(ctx.toolVersion)) driver.semanticVersion = ctx.toolVersion;
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: { driver },
        originalUriBaseIds: { [SRCROOT]: { uri: srcrootUri(ctx.cwd), description: { text: 'The directory ddlguard ran in (the repository root).' } } },
        columnKind: 'utf16CodeUnits',
        results,
        // Notes on the inputs (schema sources that disagree) are notifications of the run, not results.
        ...(result.notes?.length
          ? { invocations: [{ executionSuccessful: true, toolExecutionNotifications: result.notes.map((n) => ({ level: 'note' as const, message: { text: n.message } })) }] }
          : {}),
      },
    ],
  };
}

function unknownDescriptor(id: string): SarifReportingDescriptor {
  return {
    id,
    name: pascal(id),
    shortDescription: { text: id },
    fullDescription: { text: id },
    help: { text: `See ${ruleDocsUrl(id)}`, markdown: `See [${id}](${ruleDocsUrl(id)})` },
    helpUri: ruleDocsUrl(id),
    defaultConfiguration: { enabled: true, level: 'warning' },
    properties: { category: 'unknown', lock: '', tags: [TOOL_NAME] },
  };
}

export function sarifReporter(result: LintResult, ctx: ReporterContext): string {
  return `${JSON.stringify(buildSarif(result, ctx), null, 2)}\n`;
}
