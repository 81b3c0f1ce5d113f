/**
 * A psql script for a plan: `\set ON_ERROR_STOP on`, each step skipped when its
 * done check says so, its own lock_timeout / statement_timeout, BEGIN/COMMIT
 * around transactional steps, CONCURRENTLY steps outside any transaction, and
 * batched backfills as a procedure that commits per batch (CALLed outside a
 * transaction block, then dropped).
 */
import { createHash } from 'node:crypto';
import { quoteIdent, quoteLiteral } from '../../sql/quote.js';
import type { BatchSpec, Plan, PlanStep } from '../model.js';
import { PHASES } from '../model.js';
import { dollarTag } from '../../sql/statement-text.js';
import { describeBlocking } from '../blocking-text.js';

export function renderSql(plan: Plan): string {
  const out: string[] = [];
  out.push(`-- ddlguard plan ${plan.id} (PostgreSQL ${plan.pgVersion})`);
  out.push(`-- source sha256: ${plan.sourceHash}`);
  out.push('-- Run with psql. Steps already done are skipped, so after a lock_timeout (55P03) rerun the script.');
  if (plan.schemaSources?.length) out.push(`-- schema from: ${plan.schemaSources.join(', ')}`);
  for (const n of plan.notes) out.push(`-- note: ${n.file ? `${n.file}:${n.line}: ` : ''}${oneLine(n.message)}`);
  const blocking = plan.steps.filter((s) => s.blocking);
  if (blocking.length) {
    out.push(`-- BLOCKING: ${blocking.map((s) => s.id).join(', ')} ${blocking.length === 1 ? 'blocks' : 'block'} the application for as long as ${blocking.length === 1 ? 'its table is' : 'their tables are'} big; ddlguard apply refuses ${blocking.length === 1 ? 'it' : 'them'} without --allow-blocking`);
  }
  out.push('\\set ON_ERROR_STOP on', '');
  for (const phase of PHASES) {
    const steps = plan.steps.filter((s) => s.phase === phase);
    if (!steps.length) continue;
    out.push(`-- ===================== ${phase} =====================`, '');
    for (const s of steps) out.push(renderStep(s, plan.pgVersion), '');
  }
  return out.join('\n');
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ');
}

export function statementTimeoutMs(step: PlanStep): number {
  if (step.guard.kind === 'lock-timeout' && step.risk === 'instant') return Math.max(30_000, step.guard.lockTimeoutMs * 10);
  return 0;
}

export function lockTimeoutMs(step: PlanStep): number {
  return step.guard.kind === 'lock-timeout' ? step.guard.lockTimeoutMs : 5_000;
}

function renderStep(s: PlanStep, pgVersion: number): string {
  const out: string[] = [];
  out.push(`-- step ${s.id} [${s.rewrite}] from ${s.source.file}:${s.source.line}`);
  out.push(`-- lock: ${s.lock ? `${s.lock.mode} on ${s.lock.relation}` : 'none'}; risk: ${s.risk}; ${s.guard.kind === 'lock-timeout' ? `guard: lock_timeout ${s.guard.lockTimeoutMs}ms, ${s.guard.retries} retries` : `no guard: ${oneLine(s.guard.reason)}`}`);
  if (s.blocking) {
    out.push(`-- BLOCKING: ${describeBlocking(s.blocking)}`);
    if (s.blocking.estimate) out.push(`--   estimate: ${oneLine(s.blocking.estimate.basis)}`);
    for (const m of s.blocking.missing) out.push(`--   not online: ${oneLine(m)}`);
  }
  for (const n of s.notes) out.push(`-- note: ${oneLine(n)}`);
  if (s.rollback) out.push(...s.rollback.split('\n').map((l, i) => (i === 0 ? `-- rollback: ${l}` : `--           ${l}`)));
  else if (s.irreversible) out.push('-- rollback: none (irreversible)');
  const body: string[] = [];
  if (s.cleanup) {
    body.push(`${s.cleanup.when} AS ddlg_cleanup \\gset`, '\\if :ddlg_cleanup', `\\echo 'step ${s.id}: dropping a left-over invalid index'`);
    body.push(`SET lock_timeout = '${lockTimeoutMs(s)}ms';`, `${s.cleanup.sql};`, '\\endif');
  }
  body.push(`SET lock_timeout = '${lockTimeoutMs(s)}ms';`, `SET statement_timeout = '${statementTimeoutMs(s)}ms';`);
  if (s.batch) body.push(...renderBatch(s, s.batch, pgVersion));
  else if (s.transaction === 'none') body.push(`${s.sql};`);
  else body.push('BEGIN;', `${s.sql};`, 'COMMIT;');
  body.push('RESET lock_timeout;', 'RESET statement_timeout;');
  if (s.doneCheck) {
    out.push(`${s.doneCheck} AS ddlg_done \\gset`, '\\if :ddlg_done', `\\echo 'step ${s.id}: already done, skipped'`, '\\else', ...body, '\\endif');
  } else out.push(...body);
  return out.join('\n');
}

/** Name of the temporary backfill procedure for a step. */
export function procedureName(step: PlanStep): string {
  return `ddlg_backfill_${createHash('sha256').update(step.id).digest('hex').slice(0, 10)}`;
}

/**
 * The procedure (PG 11+) or DO block (PG 10, one transaction) that runs a batch spec: one
 * low-key and one high-key variable per key column, each of its column's type (`%TYPE`).
 * A single key column keeps the names ddlg_lo / ddlg_hi.
 */
export function batchProgram(step: PlanStep, b: BatchSpec, pgVersion: number): { create: string | null; run: string; drop: string | null } {
  const k = b.keyColumns.length;
  if (k === 0) throw new Error(`step ${step.id}: a batch needs at least one key column`);
  const names = (base: string) => (k === 1 ? [base] : b.keyColumns.map((_, i) => `${base}${i + 1}`));
  const lo = names('ddlg_lo');
  const hi = names('ddlg_hi');
  const decl = [...lo, ...hi].map((v, i) => `  ${v} ${b.table}.${quoteIdent(b.keyColumns[i % k]!)}%TYPE;`);
  const loop = [
    `  EXECUTE ${quoteLiteral(b.firstKeySql)} INTO ${lo.join(', ')};`,
    `  WHILE ${lo[0]} IS NOT NULL LOOP`,
    `    EXECUTE ${quoteLiteral(b.batchEndSql)} INTO ${hi.join(', ')} USING ${lo.join(', ')};`,
    `    EXECUTE ${quoteLiteral(b.updateSql)} USING ${[...lo, ...hi].join(', ')};`,
  ];
  const tail = [`    EXECUTE ${quoteLiteral(b.nextKeySql)} INTO ${lo.join(', ')} USING ${hi.join(', ')};`, '  END LOOP;'];
  if (pgVersion < 11) {
    const body = ['DECLARE', ...decl, 'BEGIN', ...loop, ...tail, 'END'].join('\n');
    const tag = dollarTag(body);
    return { create: null, run: `DO ${tag}\n${body}\n${tag}`, drop: null };
  }
  const name = `pg_temp.${procedureName(step)}`;
  const body = ['DECLARE', ...decl, 'BEGIN', ...loop, '    COMMIT;', ...tail, 'END'].join('\n');
  const tag = dollarTag(body);
  return {
    create: `CREATE OR REPLACE PROCEDURE ${name}() LANGUAGE plpgsql AS ${tag}\n${body}\n${tag}`,
    run: `CALL ${name}()`,
    drop: `DROP PROCEDURE IF EXISTS ${name}()`,
  };
}

function renderBatch(step: PlanStep, b: BatchSpec, pgVersion: number): string[] {
  const p = batchProgram(step, b, pgVersion);
  const out = [`-- batches of ${b.batchSize} rows by ${b.keyColumns.join(', ')}; equivalent to: ${oneLine(step.sql)}`];
  if (p.create) out.push(`${p.create};`);
  out.push(`${p.run};`);
  if (p.drop) out.push(`${p.drop};`);
  return out;
}
