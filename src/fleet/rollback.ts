/**
 * Fleet rollback (`ddlguard rollback --control URL --run ID`, or `--fleet FILE`): undoes what
 * a fleet run applied, wave by wave, newest wave first, each target with the guards of a
 * single `ddlguard rollback`: `rollbackPlan` with the target's URL, search_path and state key
 * from the run's target record, and the run's plan.
 *
 * Before anything changes anywhere, every target the rollback will touch is checked: a dry
 * run of its rollback on its recorded state. When a step that cannot be undone has run on
 * any of them, the whole rollback refuses (exit 6) naming the targets and steps, unless the
 * user narrows it (`--to`, `--wave`, `--targets`, `--exclude`); a target that cannot be
 * checked, a plan that is not the run's, or data lost without `--yes` refuse it too (exit 2).
 *
 * The rollback is recorded in the control database (./rollback-control.ts) and worked on by
 * the same model as the rollout: workers claim the current wave's targets with SKIP LOCKED
 * under a lease, so a killed worker's targets are claimed again at once and resume from their
 * own state, and several processes can share a rollback (run the same command elsewhere). A
 * wave with a target that failed or refused halts the rollback before the older waves.
 */
import { memoryLogger, type ApplyEvent } from '../apply/log.js';
import { rollbackPlan, type RollbackOptions, type RollbackResult } from '../apply/rollback.js';
import { planHash } from '../apply/state.js';
import { validatePlan } from '../apply/runner.js';
import type { Plan } from '../apply/types.js';
import { sleep } from '../apply/guard.js';
import { didYouMean } from '../config/validator.js';
import { redactError } from '../db/connection.js';
import type { ControlDb } from './control.js';
import { FleetError } from './errors.js';
import { fmtMs, type FleetOutput } from './progress.js';
import { describeScope, RollbackControl, type RollbackClaim, type RollbackOutcome } from './rollback-control.js';
import type { Redactor } from './secrets.js';
import type { FleetRollbackStatus, RollbackRecord, RollbackScope, RunRecord, TargetRecord, WaveRecord } from './types.js';
import { createWaker } from './waker.js';
import { connectUrlFor, workerIdentity } from './worker.js';

/** Exit codes of a fleet rollback (those of `ddlguard rollback`, per fleet). */
export const EXIT_FLEET_ROLLBACK = { done: 0, failed: 1, usage: 2, busy: 3, stopped: 4, irreversible: 6 } as const;

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
const list = (xs: readonly string[], max = 5) => `${xs.slice(0, max).join(', ')}${xs.length > max ? ', ...' : ''}`;

function globRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** The run's plan, checked against its recorded hash. */
export function runPlan(run: RunRecord): Plan {
  const plan = validatePlan(structuredClone(run.plan));
  if (planHash(plan) !== run.planHash) throw new FleetError(`fleet run ${run.runId}: the recorded plan does not match its hash ${run.planHash}`);
  return plan;
}

/**
 * The targets of the run a scope selects, in the run's order: those of the named waves (all
 * without `--wave`), matching a `--targets` name or glob (all without it), not matching an
 * `--exclude` one. A wave or pattern that names nothing is an error.
 */
export function selectTargets(waves: readonly WaveRecord[], targets: readonly TargetRecord[], scope: RollbackScope): TargetRecord[] {
  let out = [...targets];
  if (scope.waves) {
    const names = waves.map((w) => w.name);
    const bad = scope.waves.filter((n) => !names.includes(n));
    if (bad.length) {
      const dym = didYouMean(bad[0]!, names);
      throw new FleetError(`--wave: the run has no wave ${bad.map((b) => JSON.stringify(b)).join(', ')}${dym ? ` (did you mean ${dym}?)` : ''}; its waves: ${names.join(', ')}`);
    }
    const idx = new Set(waves.filter((w) => scope.waves!.includes(w.name)).map((w) => w.wave));
    out = out.filter((t) => idx.has(t.wave));
  }
  const matcher = (flag: string, patterns: readonly string[]) => {
    const res = patterns.map((p) => ({ p, re: globRegex(p), wild: /[*?]/.test(p) }));
    for (const { p, re, wild } of res) {
      if (!targets.some((t) => (wild ? re.test(t.target) : t.target === p))) {
        const dym = wild ? undefined : didYouMean(p, targets.map((t) => t.target));
        throw new FleetError(`${flag}: no target of the run ${wild ? 'matches' : 'is named'} ${JSON.stringify(p)}${dym ? ` (did you mean ${dym}?)` : ''}`);
      }
    }
    return (name: string) => res.some(({ p, re, wild }) => (wild ? re.test(name) : name === p));
  };
  if (scope.targets) {
    const m = matcher('--targets', scope.targets);
    out = out.filter((t) => m(t.target));
  }
  if (scope.exclude) {
    const m = matcher('--exclude', scope.exclude);
    out = out.filter((t) => !m(t.target));
  }
  if (out.length === 0) throw new FleetError(`the rollback selects no target of the run (${describeScope(scope)})`);
  return out;
}

/** What the dry run of one target's rollback found. */
export interface TargetCheck {
  target: TargetRecord;
  status: 'ok' | 'nothing' | 'irreversible' | 'plan-changed' | 'unreachable';
  /** Steps its rollback undoes, newest first. */
  wouldRollBack: string[];
  irreversible: Array<{ step: string; why: string }>;
  dataLoss: Array<{ step: string; drops: string[] }>;
  error?: string;
}

/** Checks each target (at most `concurrency` at once): a dry run of its rollback on its recorded state. Changes nothing. */
export async function checkTargets(
  plan: Plan,
  targets: readonly TargetRecord[],
  o: { to: string | null; urls?: ReadonlyMap<string, string>; env?: NodeJS.ProcessEnv; redactor: Redactor; concurrency: number },
): Promise<TargetCheck[]> {
  const env = o.env ?? process.env;
  const out = new Array<TargetCheck>(targets.length);
  let next = 0;
  const one = async (i: number) => {
    const t = targets[i]!;
    const base = { target: t, wouldRollBack: [], irreversible: [], dataLoss: [] };
    let url: string;
    let r: RollbackResult;
    try {
      url = connectUrlFor(t, o.urls, env);
      o.redactor.add(url);
      r = await rollbackPlan(plan, { dryRun: true, db: url, stateKey: t.stateKey, ...(o.to ? { to: o.to } : {}), logger: memoryLogger() });
    } catch (err) {
      out[i] = { ...base, status: 'unreachable', error: o.redactor.text(err instanceof FleetError ? err.message : redactError(err).message) };
      return;
    }
    if (r.status === 'irreversible') out[i] = { ...base, status: 'irreversible', irreversible: r.irreversible ?? [], ...(r.error ? { error: r.error } : {}) };
    else if (r.status === 'refused') out[i] = { ...base, status: 'plan-changed', error: o.redactor.text(r.error ?? 'refused') };
    else {
      const would = r.wouldRollBack ?? [];
      out[i] = { ...base, status: would.length ? 'ok' : 'nothing', wouldRollBack: would, dataLoss: r.dataLoss ?? [] };
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(o.concurrency, targets.length)) }, async () => {
      while (next < targets.length) await one(next++);
    }),
  );
  return out;
}

export interface Refusal {
  exitCode: number;
  reason: 'irreversible' | 'unreachable' | 'plan-changed' | 'needs-confirmation';
  message: string;
  targets: Array<{ target: string; wave: string; steps?: Array<{ step: string; why: string }>; error?: string }>;
}

/**
 * Why the checked rollback cannot start (null: it can). A step that cannot be undone on any
 * target refuses it with exit 6; a target that cannot be checked, another plan's state, or
 * data lost without `yes` with exit 2. Every problem is named, each target with its wave.
 */
export function refusalOf(plan: Plan, checks: readonly TargetCheck[], waveName: (w: number) => string, o: { yes: boolean; runId: string }): Refusal | null {
  const where = (c: TargetCheck) => `${c.target.target} (wave ${waveName(c.target.wave)})`;
  const irr = checks.filter((c) => c.status === 'irreversible');
  const unreachable = checks.filter((c) => c.status === 'unreachable');
  const changed = checks.filter((c) => c.status === 'plan-changed');
  const loss = o.yes ? [] : checks.filter((c) => c.dataLoss.length > 0);
  const parts: string[] = [];
  const exclude = (cs: readonly TargetCheck[]) => `--exclude ${cs.length <= 10 ? cs.map((c) => c.target.target).join(' ') : '<those targets>'}`;
  if (irr.length) {
    const order = new Map(plan.steps.map((s, i) => [s.id, i]));
    const latest = irr.flatMap((c) => c.irreversible.map((x) => x.step)).sort((a, b) => (order.get(b) ?? 0) - (order.get(a) ?? 0))[0];
    parts.push(
      `a step that cannot be undone has run on ${plural(irr.length, 'target')} of ${checks.length}: ${irr
        .slice(0, 10)
        .map((c) => `${where(c)}: ${c.irreversible.map((x) => `${x.step} (${x.why})`).join('; ')}`)
        .join('; ')}${irr.length > 10 ? '; ...' : ''}. Instead: ${latest ? `\`--to ${latest}\` keeps that step and the ones before it on every target; ` : ''}\`${exclude(irr)}\` (or --targets / --wave) leaves ${irr.length === 1 ? 'that target' : 'those targets'} out; going back further there needs what ${irr.length === 1 ? 'it' : 'they'} removed back (a backup, or a new forward migration)`,
    );
  }
  if (unreachable.length) parts.push(`${plural(unreachable.length, 'target')} could not be checked: ${unreachable.slice(0, 10).map((c) => `${where(c)}: ${c.error}`).join('; ')}${unreachable.length > 10 ? '; ...' : ''}; fix ${unreachable.length === 1 ? 'it' : 'them'}, or leave ${unreachable.length === 1 ? 'it' : 'them'} out (\`${exclude(unreachable)}\`)`);
  if (changed.length) parts.push(`${plural(changed.length, 'target')} recorded another plan under the run's state key: ${changed.slice(0, 10).map((c) => `${where(c)}: ${c.error}`).join('; ')}`);
  if (loss.length) parts.push(`rolling back drops data written since these steps ran on ${plural(loss.length, 'target')}: ${loss.slice(0, 10).map((c) => `${where(c)}: ${c.dataLoss.map((d) => `${d.step} ${d.drops.join(', ')}`).join('; ')}`).join('; ')}${loss.length > 10 ? '; ...' : ''}; add --yes to confirm`);
  if (parts.length === 0) return null;
  const reason: Refusal['reason'] = irr.length ? 'irreversible' : unreachable.length ? 'unreachable' : changed.length ? 'plan-changed' : 'needs-confirmation';
  const bad = [...irr, ...unreachable, ...changed, ...loss];
  return {
    exitCode: irr.length ? EXIT_FLEET_ROLLBACK.irreversible : EXIT_FLEET_ROLLBACK.usage,
    reason,
    message: `rollback of fleet run ${o.runId} refused, nothing was changed anywhere: ${parts.join('. ')}`,
    targets: [...new Set(bad)].map((c) => ({
      target: c.target.target,
      wave: waveName(c.target.wave),
      ...(c.irreversible.length ? { steps: c.irreversible } : c.dataLoss.length && c.status !== 'unreachable' ? { steps: c.dataLoss.map((d) => ({ step: d.step, why: d.drops.join(', ') })) } : {}),
      ...(c.error && c.status !== 'irreversible' ? { error: c.error } : {}),
    })),
  };
}

/** The dry run's lines: each wave, newest first, and what its targets' rollbacks would do. */
export function describeChecks(checks: readonly TargetCheck[], notStarted: readonly TargetRecord[], waveName: (w: number) => string, yes: boolean): string[] {
  const waves = [...new Set([...checks.map((c) => c.target.wave), ...notStarted.map((t) => t.wave)])].sort((a, b) => b - a);
  const out: string[] = [];
  for (const w of waves) {
    const cs = checks.filter((c) => c.target.wave === w);
    const ns = notStarted.filter((t) => t.wave === w);
    out.push(`  wave ${waveName(w)} (${plural(cs.length + ns.length, 'target')}):`);
    for (const c of [...cs].sort((a, b) => b.target.ordinal - a.target.ordinal)) {
      let what: string;
      if (c.status === 'irreversible') what = `CANNOT BE UNDONE: ${c.irreversible.map((x) => `${x.step} (${x.why})`).join('; ')}`;
      else if (c.status === 'unreachable' || c.status === 'plan-changed') what = `cannot be checked: ${c.error}`;
      else if (c.status === 'nothing') what = 'nothing to roll back';
      else what = `${plural(c.wouldRollBack.length, 'step')}: ${c.wouldRollBack.join(', ')}${c.dataLoss.length ? ` (${c.dataLoss.map((d) => d.drops.join(', ')).join('; ')}${yes ? '' : ': needs --yes'})` : ''}`;
      out.push(`    ${c.target.target}  ${what}`);
    }
    for (const t of ns) out.push(`    ${t.target}  not started by the run: nothing to roll back`);
  }
  return out;
}

// ---- the worker --------------------------------------------------------------

export interface RollbackWorkerOptions {
  control: ControlDb;
  runId: string;
  redactor: Redactor;
  output: FleetOutput;
  workerId?: string;
  /** Targets rolled back at once by this worker (default: the rollback's concurrency). */
  concurrency?: number;
  /** Connection URLs by target name, interpolated (from a fleet file). */
  urls?: ReadonlyMap<string, string>;
  env?: NodeJS.ProcessEnv;
  pollMs?: number;
  progressMs?: number;
  /** A graceful stop: no new claims, running targets stop after their current step and are given back. */
  signal?: AbortSignal;
  handleSignals?: boolean;
  /** Over each target's rollback options (tests: lock guard speeds). */
  rollbackOverrides?: Partial<RollbackOptions>;
}

export interface RollbackWorkerResult {
  status: FleetRollbackStatus;
  exitCode: number;
  /** Targets this worker brought to an end. */
  finished: number;
  failed: number;
  released: number;
  stopped: boolean;
}

interface Task {
  claim: RollbackClaim;
  abort: AbortController;
  done: Promise<void>;
}

/** The exit code of a rollback as it stands: done 0; halted 6 when a target refused (a step that cannot be undone), else 1; aborted or stopped 4. */
export function rollbackExitCode(rb: RollbackRecord, refused: number, stopped: boolean): number {
  if (rb.status === 'done') return EXIT_FLEET_ROLLBACK.done;
  if (rb.status === 'halted') return refused > 0 ? EXIT_FLEET_ROLLBACK.irreversible : EXIT_FLEET_ROLLBACK.failed;
  if (rb.status === 'aborted' || stopped) return EXIT_FLEET_ROLLBACK.stopped;
  return EXIT_FLEET_ROLLBACK.stopped;
}

/** Claims and rolls back targets of the run's rollback, wave by wave, until it is done, halted or aborted (or this worker is stopped). */
export async function runRollbackWorker(o: RollbackWorkerOptions): Promise<RollbackWorkerResult> {
  const { control, runId, output, redactor } = o;
  const rc = new RollbackControl(control);
  const env = o.env ?? process.env;
  const worker = o.workerId ?? workerIdentity();
  const run = await control.loadRun(runId);
  let rb = await rc.load(runId);
  if (!run || !rb) throw new FleetError(`no rollback of fleet run ${JSON.stringify(runId)} is recorded in the control database ${redactor.url(control.url)}`);
  const plan = runPlan(run);
  const concurrency = Math.max(1, o.concurrency ?? rb.concurrency);
  const leaseMs = rb.leaseMs;
  const pollMs = o.pollMs ?? 1000;
  const progressMs = o.progressMs ?? 1000;
  const waves = await control.loadWaves(runId);
  const names = new Map(waves.map((w) => [w.wave, w.name]));
  const waveName = (i: number | null) => (i === null ? '-' : (names.get(i) ?? String(i)));

  let stopped = false;
  let stopRunningSeen = false;
  const tasks = new Map<string, Task>();
  const { nap, nudge } = createWaker();
  const stopAll = (why: string) => {
    for (const t of tasks.values()) t.abort.abort(why);
  };
  const requestStop = (why: string) => {
    if (stopped) return;
    stopped = true;
    output.emit({ event: 'worker.stopping', action: 'rollback', worker, reason: why, message: `${why}: no new targets; the ${tasks.size} running stop after their current step` });
    stopAll(why);
    nudge();
  };
  const onSignal = (sig: NodeJS.Signals) => requestStop(sig);
  if (o.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const onAbort = () => requestStop('stop requested');
  o.signal?.addEventListener('abort', onAbort);
  if (o.signal?.aborted) stopped = true;

  let finished = 0;
  let failed = 0;
  let released = 0;

  const rollTarget = async (claim: RollbackClaim, abort: AbortController): Promise<void> => {
    const t0 = Date.now();
    const tag = { run: runId, target: claim.target, wave: waveName(claim.wave) };
    output.emit({ event: 'target.start', action: 'rollback', ...tag, worker, claim: claim.claims, message: `${claim.target} (wave ${tag.wave}): rolling back${claim.claims > 1 ? ` (claim ${claim.claims}: resumes from its state)` : ''}` });
    let sqlstate: string | null = null;
    let r: RollbackResult;
    const cur = rb!;
    try {
      const url = connectUrlFor(claim, o.urls, env);
      redactor.add(url);
      const logger = output.targetLogger(tag, (e: ApplyEvent) => {
        if (e.event === 'step.start' && typeof e.step === 'string') void rc.setCurrentStep(runId, claim, e.step).catch(() => {});
        if ((e.event === 'step.failed' || e.event === 'rollback.error') && typeof e.sqlstate === 'string' && /^[0-9A-Z]{5}$/.test(e.sqlstate)) sqlstate = e.sqlstate;
      });
      const ro = cur.options;
      r = await rollbackPlan(plan, {
        db: url,
        logger,
        signal: abort.signal,
        wait: true,
        waitTimeoutMs: ro.waitTimeoutMs ?? run.applyOptions.waitTimeoutMs ?? 10 * 60_000,
        ...(cur.scope.to ? { to: cur.scope.to } : {}),
        ...(ro.yes ? { yes: true } : {}),
        ...(ro.guard ? { guard: ro.guard } : {}),
        ...(claim.schema !== null ? { searchPath: claim.searchPath ?? [claim.schema], stateKey: claim.stateKey } : {}),
        ...o.rollbackOverrides,
      });
    } catch (err) {
      r = { status: 'failed', exitCode: 1, rolledBack: [], skipped: [], error: err instanceof FleetError ? err.message : redactError(err).message };
    }
    const elapsedMs = Date.now() - t0;
    const undone = [...r.rolledBack, ...(r.alsoRolledBack ?? [])];
    // An earlier claim of this rollback finished the target but its worker died before recording it: rolled back, not "nothing".
    const resumed = claim.startedAt !== null && claim.claimedAt !== null && claim.startedAt !== claim.claimedAt;
    if (r.status === 'nothing' && resumed && r.skipped.length > 0 && r.skipped.some((x) => x.reason === 'already rolled back') && r.skipped.every((x) => x.reason === 'already rolled back' || x.reason === 'not run')) {
      r = { ...r, status: 'rolled-back', rolledBack: r.skipped.filter((x) => x.reason === 'already rolled back').map((x) => x.step) };
      undone.push(...r.rolledBack);
    }
    if (r.status === 'interrupted') {
      const ok = await rc.release(runId, worker, claim, { rolledBack: undone, elapsedMs });
      released++;
      output.emit({ event: 'target.released', action: 'rollback', ...tag, worker, rolledBack: undone, ms: elapsedMs, message: `${claim.target}: stopped after ${fmtMs(elapsedMs)} (${plural(undone.length, 'step')} rolled back); ${ok ? 'given back, it resumes from its state' : 'it had been claimed by another worker'}` });
      return;
    }
    const outcome: RollbackOutcome =
      r.status === 'rolled-back'
        ? { status: 'rolled-back', rolledBack: undone, failedStep: null, error: null, sqlstate: null, note: null, elapsedMs }
        : r.status === 'nothing'
          ? { status: 'nothing', rolledBack: [], failedStep: null, error: null, sqlstate: null, note: 'nothing to roll back', elapsedMs }
          : r.status === 'irreversible' || r.status === 'refused'
            ? {
                status: 'refused',
                rolledBack: [],
                failedStep: null,
                error: redactor.text(r.error ?? 'refused'),
                sqlstate: null,
                note: r.irreversible?.length ? `cannot be undone: ${r.irreversible.map((x) => x.step).join(', ')}` : null,
                elapsedMs,
              }
            : { status: 'failed', rolledBack: undone, failedStep: r.failedStep ?? null, error: redactor.text(r.error ?? `rollback ended ${r.status}`), sqlstate, note: null, elapsedMs };
    const ok = await rc.finish(runId, worker, claim, outcome);
    if (!ok) {
      released++;
      output.emit({ event: 'target.lost', action: 'rollback', ...tag, worker, message: `${claim.target}: its claim was taken by another worker (lease expired); that worker records it` });
      return;
    }
    finished++;
    if (outcome.status === 'rolled-back' || outcome.status === 'nothing') {
      output.emit({
        event: outcome.status === 'rolled-back' ? 'target.rolled-back' : 'target.nothing',
        action: 'rollback',
        ...tag,
        worker,
        rolledBack: undone,
        ms: elapsedMs,
        message: `${claim.target}: ${outcome.status === 'rolled-back' ? `rolled back in ${fmtMs(elapsedMs)} (${plural(undone.length, 'step')})` : 'nothing to roll back'}`,
      });
    } else {
      failed++;
      output.emit({
        event: outcome.status === 'refused' ? 'target.refused' : 'target.failed',
        action: 'rollback',
        ...tag,
        worker,
        status: r.status,
        step: outcome.failedStep,
        sqlstate: outcome.sqlstate,
        error: outcome.error,
        ...(r.irreversible ? { irreversible: r.irreversible } : {}),
        ms: elapsedMs,
        message: `${claim.target} ${outcome.status === 'refused' ? 'REFUSED' : 'FAILED'}${outcome.failedStep ? ` at ${outcome.failedStep}` : ''}${outcome.sqlstate ? ` (${outcome.sqlstate})` : ''}: ${outcome.error}`,
      });
    }
  };

  const start = (claim: RollbackClaim) => {
    const abort = new AbortController();
    if (stopped || stopRunningSeen) abort.abort('stop');
    const done = rollTarget(claim, abort)
      .catch((err: unknown) => {
        output.emit({ event: 'worker.error', action: 'rollback', target: claim.target, error: redactor.text(redactError(err).message), message: `${claim.target}: could not record its end: ${redactor.text(redactError(err).message)}` });
      })
      .finally(() => {
        tasks.delete(claim.target);
        nudge();
      });
    tasks.set(claim.target, { claim, abort, done });
  };

  const renewTimer = setInterval(() => {
    const claims = [...tasks.values()].map((t) => ({ target: t.claim.target, claims: t.claim.claims }));
    rc.renew(runId, worker, claims, leaseMs)
      .then((lost) => {
        for (const name of lost) {
          const t = tasks.get(name);
          if (!t || t.abort.signal.aborted) continue;
          output.emit({ event: 'target.lease-lost', action: 'rollback', target: name, worker, message: `${name}: lease lost (another worker claimed it); stopping this worker's rollback of it` });
          t.abort.abort('lease lost');
        }
      })
      .catch(() => {});
  }, Math.max(250, Math.floor(leaseMs / 3)));
  renewTimer.unref?.();

  let lastProgress = 0;
  const showProgress = async (force = false) => {
    if (progressMs <= 0) return;
    const now = Date.now();
    if (!force && (now - lastProgress < progressMs || !output.progressDue())) return;
    if (force && !output.progressDue()) return;
    lastProgress = now;
    const w = await rc.progress(rb!, names);
    output.progress(`fleet rollback of run ${runId}: ${rb!.status}, wave ${waveName(rb!.currentWave)} (newest first), worker ${worker}, ${tasks.size}/${concurrency} running here`, w);
  };

  output.emit({
    event: 'worker.start',
    action: 'rollback',
    run: runId,
    worker,
    concurrency,
    leaseMs,
    message: `worker ${worker} rolling back run ${runId} (plan ${plan.id}; ${describeScope(rb.scope)}), ${plural(concurrency, 'target')} at once`,
  });
  let controlErrors = 0;
  try {
    for (;;) {
      try {
        rb = (await rc.load(runId)) ?? rb;
        if (rb!.stopRunning && !stopRunningSeen) {
          stopRunningSeen = true;
          if (tasks.size) output.emit({ event: 'worker.stopping', action: 'rollback', worker, reason: 'fleet abort --stop-running', message: `rollback aborted: the ${tasks.size} running targets stop after their current step` });
          stopAll('fleet abort --stop-running');
        }
        const open = rb!.status === 'running' && !rb!.abortRequested && !stopped;
        if (open) {
          const claims = await rc.claim(runId, worker, concurrency - tasks.size, leaseMs);
          for (const c of claims) start(c);
          if (tasks.size === 0 && claims.length === 0) {
            const adv = await rc.advance(runId);
            if (adv) {
              await announce(adv);
              await showProgress(true);
              controlErrors = 0;
              continue;
            }
          }
        } else if (tasks.size === 0) break;
        await showProgress();
        controlErrors = 0;
      } catch (err) {
        if (err instanceof FleetError) throw err;
        if (++controlErrors > 5) throw new FleetError(`lost the control database ${redactor.url(control.url)}: ${redactor.text(redactError(err).message)}`, 1);
        output.emit({ event: 'control.error', action: 'rollback', worker, error: redactor.text(redactError(err).message), message: `control database: ${redactor.text(redactError(err).message)}; reconnecting` });
        await sleep(Math.min(10_000, 500 * 2 ** controlErrors));
        await control.reconnect().catch(() => {});
        continue;
      }
      await nap(pollMs);
    }
  } finally {
    clearInterval(renewTimer);
    stopAll('worker exiting');
    await Promise.allSettled([...tasks.values()].map((t) => t.done));
    if (o.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    o.signal?.removeEventListener('abort', onAbort);
  }
  rb = (await rc.load(runId)) ?? rb;
  await showProgress(true).catch(() => {});
  output.end();
  const rows = (await rc.loadTargets(runId)).filter((t) => t.generation === rb!.generation);
  const refusedNow = rows.filter((t) => t.status === 'refused').length;
  output.emit({
    event: 'worker.end',
    action: 'rollback',
    run: runId,
    worker,
    rollbackStatus: rb!.status,
    finished,
    failed,
    released,
    message: `worker ${worker}: ${plural(finished, 'target')} finished here (${failed} failed or refused), ${released} given back; rollback ${rb!.status}${rb!.reason ? `: ${rb!.reason}` : ''}`,
  });
  return { status: rb!.status, exitCode: rollbackExitCode(rb!, refusedNow, stopped), finished, failed, released, stopped };

  async function announce(adv: NonNullable<Awaited<ReturnType<RollbackControl['advance']>>>): Promise<void> {
    const name = waveName(adv.wave);
    if (adv.outcome === 'halted') {
      const rows = (await rc.loadTargets(runId)).filter((t) => adv.failed.includes(t.target));
      const why = rows.map((t) => `${t.target} (${t.status}${t.failedStep ? ` at ${t.failedStep}` : ''}: ${(t.error ?? '').split('\n')[0]})`);
      output.emit({
        event: 'fleet.rollback.halted',
        run: runId,
        wave: name,
        failed: adv.failed,
        message: `rollback of run ${runId} halted after wave ${name}: ${why.slice(0, 5).join('; ')}${why.length > 5 ? '; ...' : ''}; the older waves are not rolled back. Fix what failed and run the same rollback again (it re-runs them from their state), or leave them out (--exclude ${list(adv.failed, 10)})`,
      });
      return;
    }
    output.emit({ event: 'wave.rolled-back', action: 'rollback', run: runId, wave: name, message: `wave ${name} rolled back` });
    if (adv.outcome === 'done') output.emit({ event: 'fleet.rollback.done', run: runId, message: `rollback of run ${runId} done: every wave of it rolled back (${describeScope(rb!.scope)})` });
    else output.emit({ event: 'wave.start', action: 'rollback', run: runId, wave: waveName(adv.next), message: `wave ${waveName(adv.next)}: rolling back` });
  }
}
