/**
 * The worker: claims targets of the run's open waves from the control database (`FOR
 * UPDATE SKIP LOCKED`, a lease it renews), applies the run's plan to each with the same
 * guards, batching and resume as `ddlguard apply` (applyPlan), records each end, and
 * evaluates a wave's gates when the wave is over. Any number of workers, on any machines,
 * can work on one run: a target is claimed by one at a time, a dead worker's targets are
 * claimed again (its control session is gone, or its lease expired) and resume from their
 * own state, and the per-target applier lock keeps a worker that only lost its lease from
 * applying alongside the new one.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { applyPlan, validatePlan, type ApplyOptions, type ApplyResult } from '../apply/runner.js';
import { planHash } from '../apply/state.js';
import type { Plan } from '../apply/types.js';
import { sleep } from '../apply/guard.js';
import type { ApplyEvent } from '../apply/log.js';
import { redactError } from '../db/connection.js';
import { ControlDb, type Claim } from './control.js';
import { FleetError } from './errors.js';
import { allowedFailures, runChecks, verdict, type CheckTarget } from './gates.js';
import { fmtMs, type FleetOutput } from './progress.js';
import { interpolate, type Redactor } from './secrets.js';
import type { RunRecord, RunStatus, TargetRecord, WaveRecord } from './types.js';
import { createWaker } from './waker.js';

/** Exit codes of `ddlguard apply --fleet` and the `fleet` commands. */
export const EXIT_FLEET = { done: 0, failures: 1, usage: 2, stopped: 4, halted: 6, paused: 7 } as const;

export interface WorkerOptions {
  control: ControlDb;
  runId: string;
  redactor: Redactor;
  output: FleetOutput;
  workerId?: string;
  /** Targets applied at once by this worker (default: the run's concurrency). */
  concurrency?: number;
  /** Connection URLs by target name, interpolated (the worker of `apply --fleet` has them from the fleet file). */
  urls?: ReadonlyMap<string, string>;
  env?: NodeJS.ProcessEnv;
  /** Stay while the run is paused or halted, until it is continued, aborted or done. */
  waitWhilePaused?: boolean;
  /** How often the worker looks at the run (default 1 s). */
  pollMs?: number;
  /** How often the live view is refreshed (default 1 s; 0 = never). */
  progressMs?: number;
  /** A graceful stop: no new claims, running targets stop after their batch or step and are given back. */
  signal?: AbortSignal;
  /** SIGINT / SIGTERM request the graceful stop (the command line). */
  handleSignals?: boolean;
  /** Over the run's apply options (tests and benches: backfill speeds). */
  applyOverrides?: Partial<ApplyOptions>;
}

export interface WorkerResult {
  runStatus: RunStatus;
  exitCode: number;
  /** Targets this worker brought to an end (done or failed). */
  finished: number;
  failed: number;
  /** Targets it gave back (stopped) or lost (another worker took them). */
  released: number;
  stopped: boolean;
}

export function workerIdentity(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export function exitCodeFor(status: RunStatus, failedTargets: number, stopped: boolean): number {
  if (status === 'done') return failedTargets > 0 ? EXIT_FLEET.failures : EXIT_FLEET.done;
  if (status === 'halted') return EXIT_FLEET.halted;
  if (status === 'paused') return EXIT_FLEET.paused;
  if (status === 'aborted' || stopped) return EXIT_FLEET.stopped;
  return EXIT_FLEET.stopped;
}

/** The URL a worker connects to a target with: the fleet file's (in process), else the stored form with `${VAR}` from its environment. */
export function connectUrlFor(t: Pick<TargetRecord, 'target' | 'url'>, urls: ReadonlyMap<string, string> | undefined, env: NodeJS.ProcessEnv): string {
  return urls?.get(t.target) ?? interpolate(t.url, env, `target ${t.target}`);
}

interface Task {
  claim: Claim;
  abort: AbortController;
  done: Promise<void>;
}

export async function runWorker(o: WorkerOptions): Promise<WorkerResult> {
  const { control, runId, output, redactor } = o;
  const env = o.env ?? process.env;
  const worker = o.workerId ?? workerIdentity();
  const run0 = await control.loadRun(runId);
  if (!run0) {
    const runs = await control.listRuns().catch(() => []);
    throw new FleetError(`no fleet run ${JSON.stringify(runId)} in the control database ${redactor.url(control.url)}${runs.length ? ` (runs there: ${runs.slice(0, 5).map((r) => r.runId).join(', ')})` : ''}`);
  }
  const plan: Plan = validatePlan(structuredClone(run0.plan));
  if (planHash(plan) !== run0.planHash) throw new FleetError(`fleet run ${runId}: the recorded plan does not match its hash ${run0.planHash}`);
  const concurrency = Math.max(1, o.concurrency ?? run0.concurrency);
  const leaseMs = run0.leaseMs;
  const pollMs = o.pollMs ?? 1000;
  const progressMs = o.progressMs ?? 1000;
  const waves = await control.loadWaves(runId);
  const waveName = (i: number) => waves[i]?.name ?? String(i);

  let stopped = false;
  let stopRunningSeen = false;
  const tasks = new Map<string, Task>();
  // A target that ends while the loop is busy must still cut the next nap short.
  const { nap, nudge } = createWaker();
  const stopAll = (why: string) => {
    for (const t of tasks.values()) t.abort.abort(why);
  };
  const requestStop = (why: string) => {
    if (stopped) return;
    stopped = true;
    output.emit({ event: 'worker.stopping', worker, reason: why, message: `${why}: no new targets; the ${tasks.size} running stop after their current batch or step` });
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
  const opts = run0.applyOptions;

  const applyTarget = async (claim: Claim, abort: AbortController): Promise<void> => {
    const t0 = Date.now();
    const tag = { run: runId, target: claim.target, wave: waveName(claim.wave) };
    output.emit({ event: 'target.start', ...tag, worker, claim: claim.claims, message: `${claim.target} (wave ${tag.wave}): started${claim.claims > 1 ? ` (claim ${claim.claims}: resumes from its state)` : ''}` });
    let sqlstate: string | null = null;
    let r: ApplyResult;
    try {
      const url = connectUrlFor(claim, o.urls, env);
      redactor.add(url);
      const logger = output.targetLogger(tag, (e: ApplyEvent) => {
        if (e.event === 'step.start' && typeof e.step === 'string') void control.setCurrentStep(runId, claim, e.step).catch(() => {});
        // A SQLSTATE, not a driver's error code (ECONNREFUSED is in the message already).
        if ((e.event === 'step.failed' || e.event === 'apply.error') && typeof e.sqlstate === 'string' && /^[0-9A-Z]{5}$/.test(e.sqlstate)) sqlstate = e.sqlstate;
      });
      const applyOpts: ApplyOptions = {
        db: url,
        logger,
        signal: abort.signal,
        wait: true,
        waitTimeoutMs: opts.waitTimeoutMs ?? 10 * 60_000,
        ...(opts.phase ? { phase: opts.phase } : {}),
        ...(opts.yes ? { yes: true } : {}),
        ...(opts.allowBlocking?.length ? { allowBlocking: opts.allowBlocking } : {}),
        ...(opts.guard ? { guard: opts.guard } : {}),
        ...(opts.backfill ? { backfill: opts.backfill } : {}),
        ...(opts.throughput ? { throughput: opts.throughput } : {}),
        ...(claim.schema !== null ? { searchPath: claim.searchPath ?? [claim.schema], stateKey: claim.stateKey } : {}),
        ...o.applyOverrides,
      };
      r = await applyPlan(plan, applyOpts);
    } catch (err) {
      r = { status: 'failed', exitCode: 1, ran: [], alreadyDone: [], notSelected: [], error: err instanceof FleetError ? err.message : redactError(err).message };
    }
    const elapsedMs = Date.now() - t0;
    const stepsDone = [...r.alreadyDone, ...r.ran];
    if (r.status === 'interrupted') {
      const ok = await control.release(runId, worker, claim, { ran: r.ran, stepsDone, elapsedMs });
      released++;
      output.emit({ event: 'target.released', ...tag, worker, ran: r.ran, ms: elapsedMs, message: `${claim.target}: stopped after ${fmtMs(elapsedMs)} (${r.ran.length} steps run); ${ok ? 'given back, it resumes from its state' : 'it had been claimed by another worker'}` });
      return;
    }
    const status = r.status === 'done' ? 'done' : 'failed';
    const error = status === 'failed' ? redactor.text(r.error ?? `apply ended ${r.status}`) : null;
    const ok = await control.finish(runId, worker, claim, { status, ran: r.ran, stepsDone, failedStep: r.failedStep ?? null, error, sqlstate, elapsedMs });
    if (!ok) {
      released++;
      output.emit({ event: 'target.lost', ...tag, worker, message: `${claim.target}: its claim was taken by another worker (lease expired); that worker records it` });
      return;
    }
    finished++;
    if (status === 'done') {
      output.emit({ event: 'target.done', ...tag, worker, ran: r.ran, alreadyDone: r.alreadyDone, ms: elapsedMs, message: `${claim.target}: done in ${fmtMs(elapsedMs)} (${r.ran.length} steps run, ${r.alreadyDone.length} already done)` });
    } else {
      failed++;
      output.emit({
        event: 'target.failed',
        ...tag,
        worker,
        status: r.status,
        step: r.failedStep ?? null,
        sqlstate,
        error,
        ms: elapsedMs,
        message: `${claim.target} FAILED${r.failedStep ? ` at ${r.failedStep}` : ''}${sqlstate ? ` (${sqlstate})` : ''}: ${error}`,
      });
    }
  };

  const start = (claim: Claim) => {
    const abort = new AbortController();
    if (stopped || stopRunningSeen) abort.abort('stop');
    const done = applyTarget(claim, abort)
      .catch((err: unknown) => {
        output.emit({ event: 'worker.error', target: claim.target, error: redactor.text(redactError(err).message), message: `${claim.target}: could not record its end: ${redactor.text(redactError(err).message)}` });
      })
      .finally(() => {
        tasks.delete(claim.target);
        nudge();
      });
    tasks.set(claim.target, { claim, abort, done });
  };

  // Leases: renewed at a third of their length; a lost claim stops its apply.
  const renewTimer = setInterval(() => {
    const claims = [...tasks.values()].map((t) => ({ target: t.claim.target, claims: t.claim.claims }));
    control
      .renew(runId, worker, claims, leaseMs)
      .then((lost) => {
        for (const name of lost) {
          const t = tasks.get(name);
          if (!t || t.abort.signal.aborted) continue;
          output.emit({ event: 'target.lease-lost', target: name, worker, message: `${name}: lease lost (another worker claimed it); stopping this worker's apply of it` });
          t.abort.abort('lease lost');
        }
      })
      .catch(() => {});
  }, Math.max(250, Math.floor(leaseMs / 3)));
  renewTimer.unref?.();

  const overLimitSeen = new Set<number>();
  let lastProgress = 0;
  const showProgress = async (header: RunRecord, force = false) => {
    if (progressMs <= 0) return;
    const now = Date.now();
    if (!force && (now - lastProgress < progressMs || !output.progressDue())) return;
    if (force && !output.progressDue()) return;
    lastProgress = now;
    const w = await control.progress(runId);
    const cur = w[header.currentWave];
    output.progress(`fleet run ${runId}: ${header.status}${cur ? `, wave ${header.currentWave + 1}/${w.length} (${cur.name})` : ''}, worker ${worker}, ${tasks.size}/${concurrency} running here`, w);
  };

  output.emit({ event: 'worker.start', run: runId, worker, concurrency, leaseMs, message: `worker ${worker} on run ${runId} (plan ${plan.id}), ${concurrency} target${concurrency === 1 ? '' : 's'} at once` });
  let header: RunRecord = run0;
  let controlErrors = 0;
  try {
    for (;;) {
      try {
        header = (await control.loadRun(runId)) ?? header;
        if (header.stopRunning && !stopRunningSeen) {
          stopRunningSeen = true;
          if (tasks.size) output.emit({ event: 'worker.stopping', worker, reason: 'fleet abort --stop-running', message: `run aborted: the ${tasks.size} running targets stop after their current batch or step` });
          stopAll('fleet abort --stop-running');
        }
        const open = header.status === 'running' && !header.abortRequested && !stopped;
        if (open) {
          // More failures in the wave than its gate allows: start no more of it, halt once the running ones end.
          const wave = waves[header.currentWave];
          const counts = wave ? await control.waveCounts(runId, header.currentWave) : null;
          const overLimit = Boolean(wave && counts && counts.failed > allowedFailures(wave.gates.maxFailed, counts.total));
          if (overLimit && counts!.pending > 0 && !overLimitSeen.has(header.currentWave)) {
            overLimitSeen.add(header.currentWave);
            output.emit({ event: 'wave.over-limit', run: runId, wave: wave!.name, failed: counts!.failed, pending: counts!.pending, message: `wave ${wave!.name}: ${counts!.failed} targets failed, more than its gate allows; its ${counts!.pending} pending targets are not started, the rollout halts once the running ones end` });
          }
          const claims = await control.claim(runId, worker, concurrency - tasks.size, leaseMs, overLimit);
          for (const c of claims) start(c);
          if (tasks.size === 0 && claims.length === 0) {
            const gate = await control.takeGate(runId, worker, leaseMs, overLimit);
            if (gate) {
              await evaluateGate(gate);
              await showProgress(header, true);
              controlErrors = 0;
              continue;
            }
          }
        } else if (tasks.size === 0) {
          if (!stopped && o.waitWhilePaused && (header.status === 'paused' || header.status === 'halted')) {
            // A rolled-back run is never continued: nothing left to wait for.
            if ((await control.rollbackStatus(runId)) !== null) {
              output.emit({ event: 'worker.rollback', run: runId, worker, message: `run ${runId} is being rolled back (\`ddlguard rollback\`): it is not continued, this worker ends` });
              break;
            }
            await showProgress(header);
            await nap(pollMs);
            continue;
          }
          break;
        }
        await showProgress(header);
        controlErrors = 0;
      } catch (err) {
        // The control database went away (or a query failed): running targets go on; retry, then give up.
        if (err instanceof FleetError) throw err;
        if (++controlErrors > 5) throw new FleetError(`lost the control database ${redactor.url(control.url)}: ${redactor.text(redactError(err).message)}`, 1);
        output.emit({ event: 'control.error', worker, error: redactor.text(redactError(err).message), message: `control database: ${redactor.text(redactError(err).message)}; reconnecting` });
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
  const final = (await control.loadRun(runId)) ?? header;
  await showProgress(final, true).catch(() => {});
  output.end();
  const failedNow = (await control.loadTargets(runId)).filter((t) => t.status === 'failed').length;
  output.emit({ event: 'worker.end', run: runId, worker, runStatus: final.status, finished, failed, released, message: `worker ${worker}: ${finished} target${finished === 1 ? '' : 's'} finished here (${failed} failed), ${released} given back; run ${final.status}${final.reason ? `: ${final.reason}` : ''}` });
  return { runStatus: final.status, exitCode: exitCodeFor(final.status, failedNow, stopped), finished, failed, released, stopped };

  /** Evaluates the gates of a wave this worker took: failures, checks, soak, checks again. */
  async function evaluateGate(gate: WaveRecord): Promise<void> {
    // Checks may take a while: keep the gate meanwhile.
    const keep = setInterval(() => void control.renewGate(runId, gate.wave, worker, leaseMs).catch(() => {}), Math.max(250, Math.floor(leaseMs / 3)));
    keep.unref?.();
    try {
      await gateOf(gate);
    } finally {
      clearInterval(keep);
    }
  }

  async function gateOf(gate: WaveRecord): Promise<void> {
    const g = gate.gates;
    const name = gate.name;
    const targets = await control.loadTargets(runId, gate.wave);
    output.emit({ event: 'gate.start', run: runId, wave: name, worker, targets: targets.length, message: `wave ${name} ended: ${targets.filter((t) => t.status === 'done').length}/${targets.length} done, ${targets.filter((t) => t.status === 'failed').length} failed; checking its gates` });
    const check = async (pass: 'first' | 'after soak') => {
      const done = targets.filter((t) => t.status === 'done');
      const ctx: CheckTarget[] = [];
      const unreachable: Array<{ target: string; check: string; ok: false; error: string }> = [];
      for (const t of done) {
        try {
          const url = connectUrlFor(t, o.urls, env);
          redactor.add(url);
          ctx.push({ record: t, url });
        } catch (err) {
          for (const c of g.checks) unreachable.push({ target: t.target, check: c, ok: false, error: (err as Error).message });
        }
      }
      const results = [...unreachable, ...(await runChecks(g.checks, ctx, { timeoutMs: g.checkTimeoutMs, concurrency, redactor }))];
      const bad = new Map<string, string | null>();
      for (const t of done) {
        const f = results.find((x) => x.target === t.target && !x.ok);
        bad.set(t.target, f ? `${f.check}: ${f.error}` : null);
      }
      await control.setCheckErrors(runId, bad);
      for (const f of results.filter((x) => !x.ok)) output.emit({ event: 'gate.check-failed', run: runId, wave: name, target: f.target, check: f.check, error: f.error, message: `wave ${name}: check on ${f.target} failed: ${f.check}: ${f.error}` });
      return verdict(name, g, targets, results, pass);
    };
    let result = await check('first');
    if (result.passed && g.soakMs > 0) {
      const { held, soakUntil } = await control.renewGate(runId, gate.wave, worker, leaseMs, g.soakMs);
      if (!held) return;
      const until = soakUntil ? Date.parse(soakUntil) : Date.now() + g.soakMs;
      output.emit({ event: 'gate.soak', run: runId, wave: name, until: soakUntil, message: `wave ${name}: soaking until ${soakUntil ?? '?'} (${fmtMs(Math.max(0, until - Date.now()))}), then checking again` });
      while (Date.now() < until) {
        if (stopped) return; // the gate lease expires; another worker takes it over and finishes the soak
        const hdr = await control.loadRun(runId);
        if (!hdr || hdr.abortRequested || hdr.status !== 'running') return;
        const r = await control.renewGate(runId, gate.wave, worker, leaseMs);
        if (!r.held) return;
        await showProgress(hdr);
        await nap(Math.min(pollMs, Math.max(10, until - Date.now())));
      }
      result = await check('after soak');
    }
    const outcome = await control.finishGate(runId, gate.wave, worker, result);
    if (outcome === 'lost') return;
    output.emit({ event: result.passed ? 'gate.passed' : 'gate.failed', run: runId, wave: name, result, outcome, message: result.reason });
    const ctl = `--control '${redactor.url(control.url)}' --run ${runId}`;
    if (outcome === 'halted') {
      output.emit({ event: 'fleet.halted', run: runId, wave: name, reason: result.reason, message: `run ${runId} halted before the next wave; fix what failed, then \`ddlguard fleet continue ${ctl}\` (or --skip-gate to pass the gate as it is)` });
    } else if (outcome === 'paused') {
      output.emit({ event: 'fleet.paused', run: runId, wave: name, message: `run ${runId} paused after wave ${name}: \`ddlguard fleet continue ${ctl}\` starts the next wave` });
    } else if (outcome === 'done') {
      output.emit({ event: 'fleet.done', run: runId, message: `run ${runId} done: every wave passed its gates` });
    } else {
      output.emit({ event: 'wave.start', run: runId, wave: waveName(gate.wave + 1), message: `wave ${waveName(gate.wave + 1)} starts` });
    }
  }
}
