/**
 * Findings and parse errors as LSP diagnostics: the finding's range, its severity, the rule id
 * as the code with a link to the rule's page, and the message with the help (and the table's
 * size and the estimate when a schema source knows them), as the terminal reporter shows them.
 */
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { PARSE_ERROR_ID, ruleDocsUrl, sizeText, TOOL_NAME } from '../lint/reporters/util.js';
import type { Finding, LintError, Severity } from '../lint/types.js';
import type { DocLint } from './lint-bridge.js';
import type { LintedText } from './positions.js';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

export function findingDiagnostic(f: Finding, linted: LintedText): Diagnostic {
  const lines = [f.message];
  if (f.help) lines.push(f.help);
  const size = sizeText(f);
  if (size) lines.push(size);
  return {
    range: linted.spanRange(f.line, f.column, f.endLine, f.endColumn),
    severity: SEVERITY[f.severity],
    code: f.rule,
    codeDescription: { href: ruleDocsUrl(f.rule) },
    source: TOOL_NAME,
    message: lines.join('\n'),
  };
}

/** A parse error (or an unknown rule id in a ddlguard-ignore comment): an error at its point. */
export function errorDiagnostic(e: LintError, linted: LintedText): Diagnostic {
  return {
    range: linted.pointRange(e.line, e.column),
    severity: DiagnosticSeverity.Error,
    code: PARSE_ERROR_ID,
    source: TOOL_NAME,
    message: e.message,
  };
}

export function documentDiagnostics(lint: DocLint): Diagnostic[] {
  return [
    ...lint.errors.map((e) => errorDiagnostic(e, lint.linted)),
    ...lint.findings.map((f) => findingDiagnostic(f, lint.linted)),
  ];
}
