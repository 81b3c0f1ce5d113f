/**
 * GitLab Code Quality report (a JSON array of CodeClimate-style issues), for
 * `artifacts: reports: codequality`.
 */
import type { LintResult, Severity } from '../types.js';
import type { ReporterContext } from './types.js';
import { fingerprints, lockText, PARSE_ERROR_ID, reportPath, sizeText } from './util.js';

export type GitlabSeverity = 'info' | 'minor' | 'major' | 'critical' | 'blocker';

export interface GitlabIssue {
  type: 'issue';
  engine_name: 'ddlguard';
  description: string;
  check_name: string;
  fingerprint: string;
  severity: GitlabSeverity;
  categories: string[];
  content?: { body: string };
  location: { path: string; lines: { begin: number; end?: number } };
}

export const GITLAB_SEVERITY: Record<Severity, GitlabSeverity> = { error: 'critical', warning: 'major', info: 'info' };

export function buildGitlab(result: LintResult, ctx: ReporterContext): GitlabIssue[] {
  const fp = fingerprints(result, ctx);
  const out: GitlabIssue[] = [];
  result.findings.forEach((f, i) => {
    const body: string[] = [];
    const lock = lockText(f);
    if (lock) body.push(`**Lock:** ${lock}`);
    if (f.help) body.push(f.help);
    if (f.suggestion) body.push(`\`\`\`sql\n${f.suggestion.replace(/\s+$/, '')}\n\`\`\``);
    const issue: GitlabIssue = {
      type: 'issue',
      engine_name: 'ddlguard',
      description: f.size ? `${f.message} (${sizeText(f)})` : f.message,
      check_name: f.rule,
      fingerprint: fp.findings[i]!,
      severity: GITLAB_SEVERITY[f.severity],
      categories: ['Bug Risk'],
      location: { path: reportPath(f.file, ctx.cwd), lines: { begin: f.line, end: f.endLine } },
    };
    if (body.length > 0) issue.content = { body: body.join('\n\n') };
    out.push(issue);
  });
  result.errors.forEach((e, i) => {
    out.push({
      type: 'issue',
      engine_name: 'ddlguard',
      description: `${PARSE_ERROR_ID}: ${e.message}`,
      check_name: PARSE_ERROR_ID,
      fingerprint: fp.errors[i]!,
      severity: 'critical',
      categories: ['Bug Risk'],
      location: { path: reportPath(e.file, ctx.cwd), lines: { begin: Math.max(1, e.line) } },
    });
  });
  return out;
}

export function gitlabReporter(result: LintResult, ctx: ReporterContext): string {
  return `${JSON.stringify(buildGitlab(result, ctx), null, 2)}\n`;
}
