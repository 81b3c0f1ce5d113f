/**
 * Gates: what is checked after a wave, before the next starts. The failed targets against
 * `maxFailed` (a count, or a percentage of the wave), then each check (SQL whose first
 * column must be true) on each done target of the wave, read-only and under a
 * statement_timeout; a target a check fails on counts as failed. With `soak`, the worker
 * waits and evaluates again. The verdict names the targets and why.
 */
import { closeQuietly, connect, redactError } from '../db/connection.js';
import { quoteIdentAlways } from '../sql/quote.js';
import type { Redactor } from './secrets.js';
import type { GateCheckResult, GateResult, Gates, TargetRecord } from './types.js';

/** Failures a wave of `n` targets may have: a count, or floor(percent of n). */
export function allowedFailures(maxFailed: number | string, n: number): number {
  if (typeof maxFailed === 'number') return maxFailed;
  const pct = Number.parseFloat(maxFailed);
  return Number.isFinite(pct) ? Math.floor((pct * n) / 100 + 1e-9) : 0;
}

export interface CheckTarget {
  record: TargetRecord;
  /** Interpolated connection URL (never printed). */
  url: string;
}

/** Runs every check on every target (at most `concurrency` targets at once). */
export async function runChecks(checks: readonly string[], targets: readonly CheckTarget[], opts: { timeoutMs: number; concurrency: number; redactor: Redactor }): Promise<GateCheckResult[]> {
  if (checks.length === 0 || targets.length === 0) return [];
  const out: GateCheckResult[] = [];
  let next = 0;
  const one = async (t: CheckTarget) => {
    let c;
    try {
      c = await connect(t.url, { applicationName: 'ddlguard-fleet-gate' });
    } catch (err) {
      const msg = opts.redactor.text(redactError(err, t.url).message);
      for (const check of checks) out.push({ target: t.record.target, check, ok: false, error: `cannot connect: ${msg}` });
      return;
    }
    try {
      if (t.record.searchPath) await c.query(`SELECT pg_catalog.set_config('search_path', $1, false)`, [t.record.searchPath.map(quoteIdentAlways).join(', ')]);
      for (const check of checks) {
        try {
          await c.query('BEGIN READ ONLY');
          await c.query(`SET LOCAL statement_timeout = ${Math.max(0, Math.round(opts.timeoutMs))}`);
          const r = await c.query({ text: check, rowMode: 'array' });
          const v = (r.rows[0] as unknown[] | undefined)?.[0];
          const ok = v === true || v === 't';
          out.push({ target: t.record.target, check, ok, ...(ok ? {} : { error: `returned ${r.rows.length === 0 ? 'no row' : JSON.stringify(v ?? null)}` }) });
        } catch (err) {
          out.push({ target: t.record.target, check, ok: false, error: opts.redactor.text(redactError(err, t.url).message) });
        } finally {
          await c.query('ROLLBACK').catch(() => {});
        }
      }
    } finally {
      await closeQuietly(c);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(opts.concurrency, targets.length)) }, async () => {
      while (next < targets.length) await one(targets[next++]!);
    }),
  );
  return out;
}

function briefError(t: TargetRecord): string {
  const err = (t.error ?? 'failed').split('\n')[0]!;
  return `${t.target} (${t.failedStep ? `${t.failedStep}: ` : ''}${err.length > 200 ? `${err.slice(0, 199)}…` : err})`;
}

/** The verdict for one wave from its targets' records and the check results. */
export function verdict(waveName: string, gates: Gates, targets: readonly TargetRecord[], checks: readonly GateCheckResult[], pass: GateResult['pass']): GateResult {
  const failedTargets = targets.filter((t) => t.status === 'failed');
  const checkFailed = [...new Set(checks.filter((c) => !c.ok).map((c) => c.target))].filter((n) => !failedTargets.some((t) => t.target === n));
  const allowed = allowedFailures(gates.maxFailed, targets.length);
  const bad = failedTargets.length + checkFailed.length;
  const passed = bad <= allowed;
  const parts: string[] = [];
  if (failedTargets.length) parts.push(`${failedTargets.length} of ${targets.length} targets failed: ${failedTargets.slice(0, 5).map(briefError).join('; ')}${failedTargets.length > 5 ? '; ...' : ''}`);
  if (checkFailed.length) {
    const first = checkFailed.slice(0, 5).map((n) => {
      const c = checks.find((x) => x.target === n && !x.ok)!;
      return `${n} (${c.check.length > 80 ? `${c.check.slice(0, 79)}…` : c.check}: ${c.error})`;
    });
    parts.push(`a check failed on ${checkFailed.length} target${checkFailed.length === 1 ? '' : 's'}: ${first.join('; ')}${checkFailed.length > 5 ? '; ...' : ''}`);
  }
  const notStarted = targets.filter((t) => t.status === 'pending').length;
  if (notStarted) parts.push(`${notStarted} not started`);
  const limit = `maxFailed ${typeof gates.maxFailed === 'string' ? `${gates.maxFailed} = ${allowed}` : allowed}`;
  const reason = passed
    ? `wave ${waveName} passed its gates${pass === 'after soak' ? ' after the soak' : ''} (${bad} failed, ${limit}${checks.length ? `, ${checks.filter((c) => c.ok).length}/${checks.length} checks true` : ''})`
    : `wave ${waveName} failed its gates${pass === 'after soak' ? ' after the soak' : ''} (${limit}): ${parts.join('; ')}`;
  return { passed, failed: failedTargets.map((t) => t.target), checkFailed, allowed, checks: [...checks], reason, at: new Date().toISOString(), pass };
}
