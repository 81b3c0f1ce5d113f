/**
 * GitHub Actions workflow commands (`::error file=...::message`), which become
 * annotations on the pull request diff, and a Markdown summary for
 * $GITHUB_STEP_SUMMARY.
 */
import type { LintResult, Severity } from '../types.js';
import { markdownReport } from './markdown.js';
import type { ReporterContext } from './types.js';
import { PARSE_ERROR_ID, orderedItems, reportPath, sizeText } from './util.js';

const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };

/** Escape a command's message, as the Actions runner's toolkit does. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a command property value (also `:` and `,`, which delimit properties). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(name: string, props: Array<[string, string | number | undefined]>, message: string): string {
  const p = props.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${escapeProperty(String(v))}`);
  return `::${name} ${p.join(',')}::${escapeData(message)}`;
}

/**
 * One command per finding and parse error. `col`/`endColumn` are only given
 * when the span is on one line (GitHub ignores columns on multi-line
 * annotations); `endColumn` is inclusive there.
 */
export function githubReporter(result: LintResult, ctx: ReporterContext): string {
  const out: string[] = [];
  for (const item of orderedItems(result)) {
    const file = reportPath(item.file, ctx.cwd);
    if (item.kind === 'error') {
      const e = item.error;
      out.push(command('error', [['file', file], ['line', e.line], ['col', e.column], ['title', `ddlguard(${PARSE_ERROR_ID})`]], e.message));
      continue;
    }
    const f = item.finding;
    const oneLine = f.line === f.endLine;
    const size = sizeText(f);
    const message = [f.message, ...(size ? [`size: ${size}`] : []), ...(f.help ? [f.help] : [])].join('\n');
    out.push(
      command(
        COMMAND[f.severity],
        [
          ['file', file],
          ['line', f.line],
          ['endLine', f.endLine],
          ['col', oneLine ? f.column : undefined],
          ['endColumn', oneLine ? Math.max(f.column, f.endColumn - 1) : undefined],
          ['title', `ddlguard(${f.rule})`],
        ],
        message,
      ),
    );
  }
  return out.map((l) => `${l}\n`).join('');
}

/** Markdown for $GITHUB_STEP_SUMMARY (the CLI appends it to that file). */
export function githubSummaryMarkdown(result: LintResult, ctx: ReporterContext): string {
  return markdownReport(result, ctx, { title: 'ddlguard lint' });
}
