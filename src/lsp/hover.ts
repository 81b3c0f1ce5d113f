/**
 * Hover: what the statement under the cursor does to the tables it touches. The facts are
 * taken while the engine lints the document (the model as it was before the statement, the
 * transaction state, the sizes a schema source knows), so the hover says what lint knows and
 * costs nothing when asked.
 */
import type { Hover, MarkupContent } from 'vscode-languageserver';
import type { EngineOptions } from '../lint/engine.js';
import type { RuleContext } from '../lint/types.js';
import { queuedPhrase, queuedRelation, type QueuedOn } from '../lint/rule-kit.js';
import { WORK_WORDS } from '../lint/reporters/util.js';
import { estimateEffect, estimateRecord } from '../locks/estimate-effect.js';
import { formatBytes, formatDuration, formatDurationRange, formatRows } from '../locks/estimate.js';
import { blocksApplication, describeBlocks, type LockMode } from '../locks/modes.js';
import { LOCKING_DOCS } from '../locks/table.js';
import type { LintedText } from './positions.js';

export interface LockFacts {
  mode: LockMode;
  relation: string;
  /** Existed before this file (or unknown to every source, hence assumed to). */
  preExisting: boolean;
  blocks: string;
  /** Whose queries wait while it waits (an index's table: see queuedRelation). */
  queuedOn: QueuedOn;
}

export interface EffectFacts {
  /** The statement form of the lock fact, e.g. `CREATE INDEX`. */
  statement: string;
  docs: string;
  note: string | null;
  rewrite: boolean;
  scan: boolean;
  unsupported: boolean;
  transactional: boolean;
  table: string | null;
  tablePreExisting: boolean;
  size: { rows: number | null; bytes: number } | null;
  estimate: { ms: number; lowMs: number; highMs: number; work: string; basis: string } | null;
}

/** One statement of the linted document, with offsets into the linted text. */
export interface StatementFacts {
  index: number;
  kind: string;
  start: number;
  end: number;
  inDoBlock: boolean;
  effects: EffectFacts[];
  /** The strongest lock per relation. */
  locks: LockFacts[];
  tx: { inTransaction: boolean; lockTimeoutMs: number; statementTimeoutMs: number };
  pgVersion: number;
}

/** The facts of a statement, from the context the rules see (call before the statement is replayed). */
export function statementFacts(ctx: RuleContext, engine: Pick<EngineOptions, 'pgVersion' | 'throughput'>): StatementFacts {
  const sizeOf = (key: string | undefined) => {
    const s = key ? ctx.model.relations.get(key)?.size : null;
    return s ? { rows: s.rows, bytes: s.totalBytes } : null;
  };
  const effects = ctx.effects.effects.map((e): EffectFacts => {
    const heavy = e.rewrite || e.scan;
    const est = heavy ? estimateEffect(e, ctx.model, ctx.pgVersion, engine.throughput) : null;
    return {
      statement: e.fact.statement,
      docs: e.fact.docs,
      note: e.fact.note,
      rewrite: e.rewrite,
      scan: e.scan,
      unsupported: e.fact.unsupported,
      transactional: e.fact.transactional,
      table: e.table?.display ?? null,
      tablePreExisting: e.table?.preExisting ?? false,
      size: sizeOf(e.table?.key),
      estimate: est ? estimateRecord(est) : null,
    };
  });
  return {
    index: ctx.stmt.index,
    kind: ctx.stmt.kind,
    start: ctx.stmt.span.start.offset,
    end: ctx.stmt.span.end.offset,
    inDoBlock: ctx.stmt.inDoBlock !== null,
    effects,
    locks: ctx.effects.locks.map((l) => ({ mode: l.mode, relation: l.relation.display, preExisting: l.relation.preExisting, blocks: describeBlocks(l.mode), queuedOn: queuedRelation(l, ctx.effects.effects) })),
    tx: { inTransaction: ctx.tx.inTransaction, lockTimeoutMs: ctx.tx.lockTimeoutMs, statementTimeoutMs: ctx.tx.statementTimeoutMs },
    pgVersion: ctx.pgVersion,
  };
}

/** The innermost statement whose text contains `offset` (a statement inside a DO block before the DO). */
export function statementAt<T extends { start: number; end: number }>(statements: readonly T[], offset: number): T | null {
  let best: T | null = null;
  for (const s of statements) {
    if (offset < s.start || offset > s.end) continue;
    if (!best || s.end - s.start < best.end - best.start) best = s;
  }
  return best;
}

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

/** The hover's Markdown for one statement, or null when it takes no lock ddlguard knows of. */
export function hoverMarkdown(s: StatementFacts): string | null {
  if (s.effects.length === 0 && s.locks.length === 0) return null;
  const out: string[] = [];
  const forms = [...new Set(s.effects.map((e) => e.statement))];
  out.push(`**${forms.map(code).join(', ') || code(s.kind)}** on PostgreSQL ${s.pgVersion}`, '');
  const lines: string[] = [];
  for (const l of s.locks) {
    const fresh = l.preExisting ? '' : ' (created earlier in this file: nobody else uses it yet)';
    lines.push(`- **${l.mode}** lock on ${code(l.relation)}: ${l.blocks}${fresh}`);
  }
  if (s.locks.length === 0) lines.push('- no table lock on an existing relation');
  for (const e of s.effects) {
    const t = e.table ? code(e.table) : 'the table';
    if (e.unsupported) lines.push(`- not available on PostgreSQL ${s.pgVersion}${e.note ? `: ${e.note}` : ''}`);
    if (e.rewrite) lines.push(`- rewrites ${t} (every row and its indexes are written again) while holding the lock`);
    else if (e.scan) lines.push(`- reads all of ${t} while holding the lock`);
    if (e.size) {
      const head = `${t}: ${formatRows(e.size.rows)}, ${formatBytes(e.size.bytes)}`;
      if (e.estimate) lines.push(`- ${head}: ${WORK_WORDS[e.estimate.work] ?? e.estimate.work}, ${formatDurationRange(e.estimate)}`);
      else lines.push(`- ${head}${e.rewrite || e.scan ? '' : ': catalog change only, the lock is held briefly once granted'}`);
    }
    if (!e.transactional && s.tx.inTransaction && !s.inDoBlock) lines.push('- cannot run inside a transaction block');
  }
  out.push(...dedupe(lines));
  const notes = [...new Set(s.effects.map((e) => e.note).filter((n): n is string => Boolean(n) && !s.effects.some((e) => e.unsupported && e.note === n)))];
  if (notes.length) out.push('', ...notes.map((n) => `_${n}_`));

  const waits = s.locks.filter((l) => l.preExisting && blocksApplication(l.mode));
  const tx: string[] = [];
  if (waits.length) {
    tx.push(
      s.tx.lockTimeoutMs > 0
        ? `lock_timeout ${formatMs(s.tx.lockTimeoutMs)}: gives up after waiting that long for the lock`
        : `no lock_timeout: while it waits for the lock, every later query on ${[...new Set(waits.map((l) => queuedPhrase(l.queuedOn, code)))].join(', ')} queues behind it`,
    );
  }
  if (s.tx.inTransaction && s.locks.length) tx.push('in a transaction block: the locks are held until it commits');
  if (tx.length) out.push('', tx.join('  \n'));
  const links = [...new Map(s.effects.map((e) => [e.docs, e.statement])).entries()].map(([href, name]) => `[${name}](${href})`);
  links.push(`[Explicit locking](${LOCKING_DOCS})`);
  out.push('', links.join(' · '));
  return out.join('\n');
}

function dedupe(lines: string[]): string[] {
  return [...new Set(lines)];
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 90_000) return `${Math.round(ms / 100) / 10} s`;
  return formatDuration(ms).replace(/^about /, '');
}

/** The hover at an LSP position, from the facts of the last run. */
export function hoverAt(statements: readonly StatementFacts[], linted: LintedText, position: { line: number; character: number }): Hover | null {
  const s = statementAt(statements, linted.offsetAt(position));
  if (!s) return null;
  const md = hoverMarkdown(s);
  if (!md) return null;
  const contents: MarkupContent = { kind: 'markdown', value: md };
  return { contents, range: linted.range(s.start, s.end) };
}
