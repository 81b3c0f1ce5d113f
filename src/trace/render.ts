/** Renderers for trace results: tty (plain text, optional colour), json, markdown. */
import { describeBlocks } from '../locks/modes.js';
import { maskSecrets } from './engine.js';
import type { TraceResult, TracedFile, TracedScan, TracedStatement } from './trace.js';

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

/** 2000000 -> 2,000,000 */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

function lockLine(s: TracedStatement): string {
  if (s.run === 'control' || s.run === 'skipped') return '-';
  if (s.locksObserved === 'not-observable') return s.failure ? 'not observable (released when it failed)' : 'not observable';
  if (s.locks.length === 0) {
    // Locks accumulate in a transaction: a statement needing a lock already held shows nothing new.
    if (s.run === 'transaction' && s.held.length) return `no new lock; the transaction already holds ${s.held.map((l) => `${l.relation} ${l.mode}`).join(', ')}`;
    return 'none on pre-existing relations';
  }
  const parts = s.locks.map((l) => `${l.relation} ${l.mode}${l.previous ? ` (was ${l.previous})` : ''}${l.granted ? '' : ' (waited)'}`);
  return `${parts.join(', ')}${s.locksObserved === 'sampled' ? ' [sampled]' : ''}`;
}

/** One phrase per relation the statement scanned: "scanned 2,000,000 rows of public.orders while holding SHARE ROW EXCLUSIVE". */
export function scanPhrases(s: Pick<TracedStatement, 'scans'>): string[] {
  const out: string[] = [];
  const holding = (x: TracedScan) => (x.lock ? ` while holding ${x.lock}` : '');
  const partition = (x: TracedScan) => (x.partitionOf ? ` (partition of ${x.partitionOf})` : '');
  for (const x of s.scans) {
    if (x.kind === 'index') {
      if (x.scans === 0) continue;
      const fetched = x.fetched ? `, fetching ${plural(x.fetched, 'row')}${x.table ? ` of ${x.table}` : ''}` : '';
      out.push(`${plural(x.scans, 'index scan')} of ${x.relation}${partition(x)} returned ${plural(x.rows, 'entry', 'entries')}${fetched}${holding(x)}`);
    } else if (x.scans > 0 || x.rows > 0) {
      out.push(`scanned ${plural(x.rows, 'row')} of ${x.relation}${partition(x)}${x.scans > 1 ? ` in ${count(x.scans)} scans` : ''}${holding(x)}`);
    }
  }
  return out;
}

/** Tables whose blocks were requested without a counted scan (VACUUM, ANALYZE, inserts). */
function blockReads(s: TracedStatement): string[] {
  return s.scans.filter((x) => x.kind !== 'index' && x.scans === 0 && x.rows === 0 && x.blocks > 0).map((x) => `${x.relation} ${count(x.blocks)}`);
}

function scanLine(s: TracedStatement): string {
  if (s.run === 'control' || s.run === 'skipped') return '-';
  if (s.scansObserved === 'not-observable') return 'not observable';
  const p = scanPhrases(s);
  return p.length ? p.join('; ') : 'no scan of a pre-existing relation';
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
  const outcome =
    r.mode === 'per-file'
      ? r.scratch
        ? `each file run as its framework runs it and committed${r.scratch.dropped ? ', then thrown away' : ''}`
        : 'each file run as its framework runs it and committed'
      : r.committed
        ? 'one transaction, committed'
        : 'one transaction, rolled back';
  return `Traced on ${r.engine.kind === 'pglite' ? 'PGlite' : 'PostgreSQL'} ${r.engine.version} (${r.engine.label}) in ${r.workspace}; ${outcome}${
    r.seedRows ? `; ${r.seedRows} seed rows per table` : ''
  }${r.historyStatements ? `; ${r.historyStatements} history statements applied` : ''}`;
}

function fileLine(f: TracedFile): string {
  const how = f.transaction === 'file' ? 'in one transaction' : f.transaction === 'statements' ? 'statement by statement' : 'in the one transaction';
  return `${f.path}: ${how}, ${f.outcome}${f.seeded.length ? `; seed rows put into ${f.seeded.join(', ')} first` : ''}`;
}

export function renderTty(r: TraceResult, opts: RenderOptions = {}): string {
  const c = opts.color ?? false;
  const bold = (s: string) => (c ? `\x1b[1m${s}\x1b[22m` : s);
  const red = (s: string) => (c ? `\x1b[31m${s}\x1b[39m` : s);
  const dim = (s: string) => (c ? `\x1b[2m${s}\x1b[22m` : s);
  const lines: string[] = [header(r), ''];
  const files = new Map(r.files.map((f) => [f.path, f]));
  let current: string | null = null;
  for (const s of r.statements) {
    if (s.file !== current) {
      current = s.file;
      const f = files.get(s.file);
      if (f && r.mode === 'per-file') {
        lines.push(bold(`== ${fileLine(f)}`));
        lines.push(dim(`   ${f.why}`), '');
      }
    }
    lines.push(bold(`${s.file}:${s.line}  ${oneLine(s.text)}`));
    lines.push(`  run:      ${s.run}${s.transaction !== null ? ` (transaction ${s.transaction})` : ''}, ${ms(s.durationMs)}`);
    if (s.run !== 'control' && s.run !== 'skipped') {
      lines.push(`  locks:    ${lockLine(s)}`);
      const strongest = s.locks[0];
      if (strongest) lines.push(dim(`            ${strongest.relation}: ${describeBlocks(strongest.mode)}`));
      if (s.scansObserved === 'not-observable') lines.push('  scans:    not observable');
      else {
        const p = scanPhrases(s);
        if (p.length === 0) lines.push('  scans:    none of pre-existing relations');
        for (const x of p) lines.push(`  scans:    ${x}`);
        const b = blockReads(s);
        if (b.length) lines.push(dim(`  blocks:   ${b.join(', ')} (buffer requests, no scan counted)`));
      }
    }
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
  const lines = [`## ddlguard trace`, '', header(r), ''];
  if (r.mode === 'per-file' && r.files.length) lines.push(...r.files.map((f) => `- ${mdCell(fileLine(f))}`), '');
  lines.push('| Statement | Run | Locks | Scans | Changes | Time |', '| --- | --- | --- | --- | --- | --- |');
  for (const s of r.statements) {
    const ch = changes(s);
    if (s.error) ch.push(`**error:** ${s.error}`);
    if (s.note) ch.push(`_${s.note}_`);
    lines.push(
      `| \`${mdCell(oneLine(s.text, 80))}\` (${mdCell(s.file)}:${s.line}) | ${s.run} | ${mdCell(lockLine(s))} | ${mdCell(scanLine(s))} | ${mdCell(ch.join('; ') || '-')} | ${ms(s.durationMs)} |`,
    );
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
