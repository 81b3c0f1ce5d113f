/** Renderers for trace results: tty (plain text, optional colour), json, markdown. */
import { describeBlocks } from '../locks/modes.js';
import { maskSecrets } from './engine.js';
import type { TraceResult, TracedStatement } from './trace.js';

export const TRACE_FORMATS = ['tty', 'json', 'markdown'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

export interface RenderOptions {
  color?: boolean;
  /** Extra secrets to mask (passwords from URLs). */
  secrets?: readonly string[];
}

function oneLine(sql: string, max = 100): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function ms(n: number): string {
  return n < 10 ? `${n.toFixed(2)} ms` : `${Math.round(n)} ms`;
}

function lockLine(s: TracedStatement): string {
  if (s.locksObserved === 'not-observable') return 'not observable';
  // Locks accumulate in a transaction: a statement needing a lock already held shows nothing new.
  if (s.locks.length === 0) return s.run === 'transaction' && s.index > 0 ? 'no new lock on a pre-existing relation (locks from earlier statements of the transaction are still held)' : 'none on pre-existing relations';
  const parts = s.locks.map((l) => `${l.relation} ${l.mode}${l.previous ? ` (was ${l.previous})` : ''}${l.granted ? '' : ' (waited)'}`);
  return `${parts.join(', ')}${s.locksObserved === 'sampled' ? ' [sampled]' : ''}`;
}

function changes(s: TracedStatement): string[] {
  const out: string[] = [];
  if (s.rewrites.length) out.push(`${s.rewrites.some((r) => r.how === 'rewrite') ? 'rewrote' : 'truncated'} ${s.rewrites.map((r) => r.relation).join(', ')}`);
  if (s.created.length) out.push(`created ${s.created.join(', ')}`);
  if (s.dropped.length) out.push(`dropped ${s.dropped.join(', ')}`);
  for (const r of s.renamed) out.push(`renamed ${r.from} -> ${r.to}`);
  for (const c of s.columns) {
    const what = c.change === 'added' ? `added ${c.after}` : c.change === 'dropped' ? 'dropped' : `${c.change} ${c.before ?? '-'} -> ${c.after ?? '-'}`;
    out.push(`column ${c.relation}.${c.column}: ${what}`);
  }
  for (const c of s.constraints) {
    const what =
      c.change === 'added'
        ? `added${c.validated === false ? ' NOT VALID' : ''} ${c.after}`
        : c.change === 'validated'
          ? `validated ${c.before} -> ${c.after}`
          : c.change === 'dropped'
            ? 'dropped'
            : `${c.change} ${c.before} -> ${c.after}`;
    out.push(`constraint ${c.relation}.${c.constraint}: ${what}`);
  }
  return out;
}

function header(r: TraceResult): string {
  return `Traced on ${r.engine.kind === 'pglite' ? 'PGlite' : 'PostgreSQL'} ${r.engine.version} (${r.engine.label}) in ${r.workspace}; ${
    r.committed ? 'committed' : 'rolled back'
  }${r.seedRows ? `; ${r.seedRows} seed rows per table` : ''}${r.historyStatements ? `; ${r.historyStatements} history statements applied` : ''}`;
}

export function renderTty(r: TraceResult, opts: RenderOptions = {}): string {
  const c = opts.color ?? false;
  const bold = (s: string) => (c ? `\x1b[1m${s}\x1b[22m` : s);
  const red = (s: string) => (c ? `\x1b[31m${s}\x1b[39m` : s);
  const dim = (s: string) => (c ? `\x1b[2m${s}\x1b[22m` : s);
  const lines: string[] = [header(r), ''];
  for (const s of r.statements) {
    lines.push(bold(`${s.file}:${s.line}  ${oneLine(s.text)}`));
    lines.push(`  run:      ${s.run}, ${ms(s.durationMs)}`);
    lines.push(`  locks:    ${lockLine(s)}`);
    const strongest = s.locks[0];
    if (strongest) lines.push(dim(`            ${strongest.relation}: ${describeBlocks(strongest.mode)}`));
    for (const ch of changes(s)) lines.push(`  change:   ${ch}`);
    if (s.note) lines.push(dim(`  note:     ${s.note}`));
    if (s.error) lines.push(red(`  error:    ${s.error}`));
    lines.push('');
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (r.error) lines.push(red(`error: ${r.error}`));
  return maskSecrets(`${lines.join('\n')}\n`, opts.secrets);
}

export function renderJson(r: TraceResult, opts: RenderOptions = {}): string {
  return maskSecrets(`${JSON.stringify(r, null, 2)}\n`, opts.secrets);
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderMarkdown(r: TraceResult, opts: RenderOptions = {}): string {
  const lines = [`## ddlguard trace`, '', header(r), '', '| Statement | Run | Locks | Changes | Time |', '| --- | --- | --- | --- | --- |'];
  for (const s of r.statements) {
    const ch = changes(s);
    if (s.error) ch.push(`**error:** ${s.error}`);
    if (s.note) ch.push(`_${s.note}_`);
    lines.push(`| \`${mdCell(oneLine(s.text, 80))}\` (${mdCell(s.file)}:${s.line}) | ${s.run} | ${mdCell(lockLine(s))} | ${mdCell(ch.join('; ') || '-')} | ${ms(s.durationMs)} |`);
  }
  if (r.warnings.length) lines.push('', ...r.warnings.map((w) => `- warning: ${mdCell(w)}`));
  if (r.error) lines.push('', `**Error:** ${mdCell(r.error)}`);
  return maskSecrets(`${lines.join('\n')}\n`, opts.secrets);
}

export function renderTrace(r: TraceResult, format: TraceFormat, opts: RenderOptions = {}): string {
  if (format === 'json') return renderJson(r, opts);
  if (format === 'markdown') return renderMarkdown(r, opts);
  return renderTty(r, opts);
}
