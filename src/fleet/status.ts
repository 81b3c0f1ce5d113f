/**
 * `ddlguard fleet status`: a run, per wave and per target, as text or as one JSON object.
 * Failures name their target, step, SQLSTATE and error; the times are spent time (a
 * target's is the sum of its claims). URLs are shown masked. A run that is (or was) rolled
 * back shows its rollback too: its status and scope, per wave its targets by rollback
 * status, per target its rollback status, steps undone, and the error of a failure.
 */
import { fmtMs } from './progress.js';
import type { Redactor } from './secrets.js';
import { describeScope } from './rollback-control.js';
import type { RollbackRecord, RollbackTargetRecord, RunRecord, TargetRecord, WaveRecord } from './types.js';

export interface StatusView {
  run: RunRecord;
  waves: WaveRecord[];
  targets: TargetRecord[];
  /** The control database, for the commands it suggests. */
  controlUrl: string;
  /** The run's rollback (`ddlguard rollback --control`), when there is one: its record and every target row it left. */
  rollback?: { record: RollbackRecord; targets: RollbackTargetRecord[] } | null;
}

/** A target's rollback row of the rollback's current generation (an older one is shown as it was left). */
function rollbackOf(v: StatusView, target: string): RollbackTargetRecord | undefined {
  return v.rollback?.targets.find((t) => t.target === target);
}

const needsLook = (r: RollbackTargetRecord | undefined) => r !== undefined && (r.status === 'failed' || r.status === 'refused' || r.status === 'running');

function rollbackDetail(r: RollbackTargetRecord, now: number): string {
  if (r.status === 'rolled-back') return `rollback: rolled back (${r.rolledBack.length} step${r.rolledBack.length === 1 ? '' : 's'}${r.claims > 1 ? `, ${r.claims} claims` : ''}, ${fmtMs(r.elapsedMs)})`;
  if (r.status === 'nothing') return `rollback: nothing to undo${r.note && r.note !== 'nothing to roll back' ? ` (${r.note})` : ''}`;
  if (r.status === 'running') return `rollback: running${r.currentStep ? ` in ${r.currentStep}` : ''}, worker ${r.worker ?? '?'}, claimed ${r.claimedAt ? fmtMs(spent(r.claimedAt, null, now)) : '?'} ago`;
  if (r.status === 'failed') return `rollback FAILED at ${r.failedStep ?? '(before any step)'}${r.sqlstate ? ` (${r.sqlstate})` : ''}: ${r.error ?? 'failed'}`;
  if (r.status === 'refused') return `rollback REFUSED: ${r.error ?? r.note ?? 'refused'}`;
  return 'rollback: pending';
}

/** Targets listed one per line up to this many (more with `--all`). */
export const LIST_TARGETS_UP_TO = 100;

const spent = (start: string | null, end: string | null, now: number) => (start ? (end ? Date.parse(end) : now) - Date.parse(start) : 0);

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

export function statusJson(v: StatusView, red: Redactor): unknown {
  const { plan: _plan, ...run } = v.run;
  const steps = Array.isArray((v.run.plan as { steps?: unknown[] } | null)?.steps) ? (v.run.plan as { steps: unknown[] }).steps.length : null;
  return red.deep({
    event: 'fleet.status',
    control: red.url(v.controlUrl),
    run: { ...run, planSteps: steps },
    waves: v.waves.map((w) => {
      const ts = v.targets.filter((t) => t.wave === w.wave);
      return {
        ...w,
        counts: { total: ts.length, pending: ts.filter((t) => t.status === 'pending').length, running: ts.filter((t) => t.status === 'running').length, done: ts.filter((t) => t.status === 'done').length, failed: ts.filter((t) => t.status === 'failed').length },
        ms: spent(w.startedAt, w.finishedAt, Date.now()),
        targets: ts.map((t) => ({ ...t, url: red.url(t.url), ...(v.rollback ? { rollback: rollbackOf(v, t.target) ?? null } : {}) })),
        ...(v.rollback ? { rollback: rollbackCounts(v.rollback.targets.filter((t) => t.wave === w.wave && t.generation === v.rollback!.record.generation)) } : {}),
      };
    }),
    ...(v.rollback ? { rollback: { ...v.rollback.record, counts: rollbackCounts(v.rollback.targets.filter((t) => t.generation === v.rollback!.record.generation)) } } : {}),
  });
}

function rollbackCounts(ts: readonly RollbackTargetRecord[]): Record<string, number> {
  const out: Record<string, number> = { total: ts.length };
  for (const s of ['pending', 'running', 'rolled-back', 'nothing', 'failed', 'refused']) out[s] = ts.filter((t) => t.status === s).length;
  return out;
}

export function renderStatus(v: StatusView, red: Redactor, opts: { all?: boolean; now?: number } = {}): string {
  const now = opts.now ?? Date.now();
  const { run } = v;
  const control = red.url(v.controlUrl);
  const out: string[] = [];
  const steps = (run.plan as { steps?: unknown[] } | null)?.steps?.length ?? '?';
  out.push(`fleet run ${run.runId}: ${run.status}${run.abortRequested && run.status !== 'aborted' ? ' (abort requested)' : ''}${run.reason ? ` - ${run.reason}` : ''}`);
  out.push(
    `  plan ${run.planId} (hash ${run.planHash}, ${steps} steps); ${plural(v.targets.length, 'target')} in ${plural(v.waves.length, 'wave')}; control ${control}; ` +
      `created by ${run.createdBy ?? '?'} at ${run.createdAt}; ${run.finishedAt ? `finished at ${run.finishedAt} after ${fmtMs(spent(run.createdAt, run.finishedAt, now))}` : `${fmtMs(spent(run.createdAt, null, now))} so far`}`,
  );
  const rb = v.rollback?.record;
  if (rb) {
    const gen = v.rollback!.targets.filter((t) => t.generation === rb.generation);
    const c = rollbackCounts(gen);
    const counts = [`${c['rolled-back']! + c.nothing!}/${gen.length} rolled back`, ...['running', 'failed', 'refused', 'pending'].filter((s) => c[s]).map((s) => `${c[s]} ${s}`)].join(', ');
    const cur = rb.status === 'running' || rb.status === 'halted' ? `, wave ${v.waves.find((w) => w.wave === rb.currentWave)?.name ?? '?'} ${rb.status === 'running' ? 'rolling back' : 'failed'}` : '';
    out.push(`  rollback: ${rb.status}${rb.reason ? ` - ${rb.reason}` : ''}; ${describeScope(rb.scope)}; ${counts}${cur}; started by ${rb.createdBy ?? '?'} at ${rb.createdAt}${rb.finishedAt ? `, finished at ${rb.finishedAt}` : ''}`);
  }
  const list = opts.all || v.targets.length <= LIST_TARGETS_UP_TO;
  for (const w of v.waves) {
    const ts = v.targets.filter((t) => t.wave === w.wave);
    const count = (s: string) => ts.filter((t) => t.status === s).length;
    const parts = [`${count('done')}/${ts.length} done`];
    for (const s of ['running', 'failed', 'pending']) if (count(s)) parts.push(`${count(s)} ${s}`);
    const time = w.startedAt ? `  ${fmtMs(spent(w.startedAt, w.finishedAt, now))}` : '';
    const cur = w.wave === run.currentWave && run.status !== 'done' ? ' <- current' : '';
    out.push(`  wave ${w.wave + 1}/${v.waves.length} ${w.name}: ${w.status}, ${parts.join(', ')}${time}${cur}`);
    if (w.gateResult) out.push(`    gate (${w.gateResult.at}): ${w.gateResult.reason}`);
    if (w.overriddenBy) out.push(`    gate passed by --skip-gate: ${w.overriddenBy}`);
    if (rb) {
      const rs = v.rollback!.targets.filter((t) => t.wave === w.wave && t.generation === rb.generation);
      if (rs.length) {
        const c = rollbackCounts(rs);
        out.push(`    rollback: ${c['rolled-back']} rolled back, ${c.nothing} with nothing to undo${['running', 'failed', 'refused', 'pending'].filter((s) => c[s]).map((s) => `, ${c[s]} ${s}`).join('')}`);
      }
    }
    for (const t of ts) {
      const r = rollbackOf(v, t.target);
      const show = list || t.status === 'failed' || t.status === 'running' || t.checkError || needsLook(r);
      if (!show) continue;
      const where = `${t.dbName ?? red.url(t.url)}${t.schema ? `, schema ${t.schema}` : ''}`;
      let detail = '';
      if (t.status === 'failed') detail = `at ${t.failedStep ?? '(before any step)'}${t.sqlstate ? ` (${t.sqlstate})` : ''}: ${t.error ?? 'failed'}`;
      else if (t.status === 'running') detail = `${t.currentStep ? `in ${t.currentStep}, ` : ''}worker ${t.worker ?? '?'}, claimed ${t.claimedAt ? fmtMs(spent(t.claimedAt, null, now)) : '?'} ago`;
      else if (t.status === 'done') detail = `${t.ran.length} steps run${t.claims > 1 ? `, ${t.claims} claims` : ''}`;
      if (t.checkError) detail += `${detail ? '; ' : ''}check failed: ${t.checkError}`;
      if (r) detail += `${detail ? '; ' : ''}${rollbackDetail(r, now)}`;
      out.push(`    ${t.status.padEnd(7)} ${t.target} (${where})  ${fmtMs(t.elapsedMs)}${detail ? `  ${detail}` : ''}`);
    }
    if (!list) {
      const hidden = ts.filter((t) => !(t.status === 'failed' || t.status === 'running' || t.checkError || needsLook(rollbackOf(v, t.target)))).length;
      if (hidden) out.push(`    (${hidden} more; --all lists every target)`);
    }
  }
  const ctl = `--control '${control}' --run ${run.runId}`;
  if (rb) {
    if (rb.status === 'running') out.push(`  rollback under way: more workers (or resume it after a crash) with the same \`ddlguard rollback ${ctl}\` options (${describeScope(rb.scope)})`);
    else if (rb.status === 'halted') out.push(`  next: fix what failed, then the same \`ddlguard rollback ${ctl}\` again (re-runs the failed targets from their state), or leave them out with --exclude`);
    else if (rb.status === 'aborted') out.push(`  next: the same \`ddlguard rollback ${ctl}\` resumes the rollback`);
  } else if (run.status === 'halted') out.push(`  next: fix what failed, then \`ddlguard fleet continue ${ctl}\` (re-runs the failed targets from their state and checks the gate again; --skip-gate passes it as it is)`);
  else if (run.status === 'paused') out.push(`  next: \`ddlguard fleet continue ${ctl}\` starts the next wave`);
  else if (run.status === 'aborted') out.push(`  next: \`ddlguard fleet continue ${ctl}\` resumes the run`);
  else if (run.status === 'running') out.push(`  more workers: \`ddlguard fleet worker ${ctl}\``);
  else if (run.status === 'done' && v.targets.some((t) => t.status === 'failed')) out.push(`  ${plural(v.targets.filter((t) => t.status === 'failed').length, 'target')} failed within the gates' limits: \`ddlguard fleet continue ${ctl}\` retries them`);
  return `${red.text(out.join('\n'))}\n`;
}
