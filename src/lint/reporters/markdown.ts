/**
 * Markdown for a pull request comment (and, via githubSummaryMarkdown, for
 * $GITHUB_STEP_SUMMARY): a header with counts, a table per file, and a
 * collapsed <details> per finding with the lock, help and suggested SQL.
 */
import type { LintResult, Severity } from '../types.js';
import type { ReporterContext } from './types.js';
import { countProblems, groupByFile, orderedItems, PARSE_ERROR_ID, plural, problemPhrase, reportPath, ruleDocsUrl } from './util.js';

/** First line of every report, so a bot can find and update its previous comment. */
export const MARKDOWN_MARKER = '<!-- ddlguard-report -->';

const BADGE: Record<Severity, string> = { error: '🛑 error', warning: '⚠️ warning', info: 'ℹ️ info' };

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Text safe inside a Markdown table cell. */
export function escapeCell(s: string): string {
  return escapeHtml(s).replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** Inline code that survives backticks in the text. */
export function inlineCode(s: string): string {
  const runs = [...s.matchAll(/`+/g)].map((m) => m[0].length);
  const n = runs.length === 0 ? 1 : Math.max(...runs) + 1;
  const tick = '`'.repeat(n);
  const pad = n > 1 || s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${tick}${pad}${s}${pad}${tick}`;
}

/** A fenced block that survives fences in the text. */
export function fencedSql(sql: string): string {
  const runs = [...sql.matchAll(/`{3,}/g)].map((m) => m[0].length);
  const f = '`'.repeat(runs.length === 0 ? 3 : Math.max(...runs) + 1);
  return `${f}sql\n${sql.replace(/\s+$/, '')}\n${f}`;
}

export interface MarkdownOptions {
  /** Heading text before the counts. */
  title?: string;
}

export function markdownReport(result: LintResult, ctx: ReporterContext, opts: MarkdownOptions = {}): string {
  const title = opts.title ?? 'ddlguard';
  const c = countProblems(result);
  const s = result.summary;
  const out: string[] = [MARKDOWN_MARKER];
  const checked = `${plural(s.files, 'file')} checked (${plural(s.statements, 'statement')}${s.historyFiles > 0 ? `, ${plural(s.historyFiles, 'history file')} replayed` : ''}) against PostgreSQL ${s.pgVersion}.`;
  if (c.problems === 0) {
    out.push(`## ${title}: ✅ no problems`, '', checked, '');
    return out.join('\n');
  }
  out.push(`## ${title}: ${c.errors > 0 ? '❌' : '⚠️'} ${problemPhrase(c)} in ${plural(c.files, 'file')}`, '', checked, '');

  for (const [file, items] of groupByFile(orderedItems(result))) {
    out.push(`### ${inlineCode(reportPath(file, ctx.cwd))}`, '');
    out.push('| Line | Rule | Severity | Message |', '| ---: | --- | --- | --- |');
    const details: string[] = [];
    for (const it of items) {
      if (it.kind === 'error') {
        out.push(`| ${it.line} | ${inlineCode(PARSE_ERROR_ID)} | ${BADGE.error} | ${escapeCell(it.error.message)} |`);
        continue;
      }
      const f = it.finding;
      out.push(`| ${f.line} | [${inlineCode(f.rule)}](${ruleDocsUrl(f.rule)}) | ${BADGE[f.severity]} | ${escapeCell(f.message)} |`);
      if (!f.help && !f.suggestion && !f.lock) continue;
      const body: string[] = [];
      if (f.lock) body.push(`**Lock:** ${inlineCode(f.lock.mode)} on ${inlineCode(f.lock.relation)} (${escapeHtml(f.lock.blocks)})`);
      if (f.help) body.push(escapeHtml(f.help));
      if (f.suggestion) body.push(`Suggested:\n\n${fencedSql(f.suggestion)}`);
      details.push(
        '<details>',
        `<summary>Line ${f.line}: <code>${escapeHtml(f.rule)}</code> — ${escapeHtml(f.message)}</summary>`,
        '',
        body.join('\n\n'),
        '',
        '</details>',
        '',
      );
    }
    out.push('');
    if (details.length > 0) out.push(...details);
  }
  return out.join('\n');
}

export function markdownReporter(result: LintResult, ctx: ReporterContext): string {
  return markdownReport(result, ctx);
}
