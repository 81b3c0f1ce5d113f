/**
 * Output formats for `ddlguard lint --format <name>`. Every reporter is a pure
 * function of the LintResult and a ReporterContext; the CLI writes the string
 * it returns (already newline-terminated) to stdout or --output.
 */
import { githubReporter } from './github.js';
import { gitlabReporter } from './gitlab.js';
import { jsonReporter } from './json.js';
import { junitReporter } from './junit.js';
import { markdownReporter } from './markdown.js';
import { sarifReporter } from './sarif.js';
import { ttyReporter } from './tty.js';
import { FORMAT_NAMES, type FormatName, type Reporter } from './types.js';

export { FORMAT_NAMES, type FormatName, type Reporter, type ReporterContext } from './types.js';
export { githubReporter, githubSummaryMarkdown, escapeData, escapeProperty } from './github.js';
export { gitlabReporter, buildGitlab, GITLAB_SEVERITY, type GitlabIssue, type GitlabSeverity } from './gitlab.js';
export { jsonReporter } from './json.js';
export { junitReporter } from './junit.js';
export { markdownReporter, markdownReport, MARKDOWN_MARKER, type MarkdownOptions } from './markdown.js';
export { sarifReporter, buildSarif, sarifLevel, SARIF_SCHEMA_URI, SARIF_FINGERPRINT_KEY, type SarifLog } from './sarif.js';
export { ttyReporter } from './tty.js';
export { PARSE_ERROR_ID, ruleDocsUrl, summaryText, countProblems } from './util.js';

export const REPORTERS: Record<FormatName, Reporter> = {
  tty: ttyReporter,
  json: jsonReporter,
  sarif: sarifReporter,
  github: githubReporter,
  gitlab: gitlabReporter,
  junit: junitReporter,
  markdown: markdownReporter,
};

export function isFormatName(s: string): s is FormatName {
  return (FORMAT_NAMES as readonly string[]).includes(s);
}
