/**
 * `ddlguard apply --fleet FILE`, `ddlguard fleet worker|status|continue|abort`, and
 * `ddlguard rollback --control URL --run ID` (or `--fleet FILE`).
 *
 * Exit codes: 0 the run is done and no target failed; 1 it is done with failed targets (within
 * the gates' limits) or an error stopped the worker; 2 usage, a bad fleet file, a target
 * source or the control database; 4 stopped (signal) or aborted; 6 halted by a gate; 7 paused
 * (`fleet continue` starts the next wave). A fleet rollback exits as `ddlguard rollback`
 * does, per fleet: 0 rolled back; 1 a target's rollback failed (halted after its wave); 2 usage
 * or refused before anything changed (a target that cannot be checked, another plan, data lost
 * without --yes); 3 the run is still being applied; 4 stopped or aborted; 6 refused: a step
 * that cannot be undone has run on a target (nothing was changed anywhere).
 */
import { redactError } from '../../db/connection.js';
import type { PhaseOption } from '../../apply/runner.js';
import { planHash } from '../../apply/state.js';
import type { Plan } from '../../apply/types.js';
import { ConfigError } from '../../config/index.js';
import { actor, ControlDb } from '../../fleet/control.js';
import { FleetError } from '../../fleet/errors.js';
import { loadFleetFile } from '../../fleet/file.js';
import { createFleetOutput, type FleetFormat, type FleetOutput } from '../../fleet/progress.js';
import { controlUrlFor, createOrResume, defaultRunId } from '../../fleet/run.js';
import { Redactor } from '../../fleet/secrets.js';
import { renderStatus, statusJson } from '../../fleet/status.js';
import { resolveTargets } from '../../fleet/targets.js';
import { checkTargets, describeChecks, EXIT_FLEET_ROLLBACK, refusalOf, runPlan, runRollbackWorker, selectTargets, type RollbackWorkerOptions } from '../../fleet/rollback.js';
import { describeScope, RollbackControl, sameScope } from '../../fleet/rollback-control.js';
import type { AssignedWave, FleetSpec, RollbackScope, RunRecord, TargetApplyOptions, TargetRollbackOptions } from '../../fleet/types.js';
import { assignWaves } from '../../fleet/waves.js';
import { EXIT_FLEET, runWorker, type WorkerOptions } from '../../fleet/worker.js';
import { configMs, configThroughput, loadCliConfig } from '../config.js';
import { CliError } from '../exit.js';
import { loadPlanInput, type ApplyArgs } from './apply.js';

export interface FleetApplyArgs extends ApplyArgs {
  fleet: string;
  control?: string;
  run?: string;
  concurrency?: number;
  /** Record the run and exit: `ddlguard fleet worker` processes do the work. */
  detach?: boolean;
  verbose?: boolean;
  /** Tests and benches: over the run's apply options in this process. */
  applyOverrides?: WorkerOptions['applyOverrides'];
  pollMs?: number;
}

export interface FleetCommonArgs {
  control?: string;
  fleet?: string;
  run?: string;
  format?: string;
}

function fleetFormat(format: string | undefined): FleetFormat {
  if (format === undefined || format === 'human' || format === 'text' || format === 'tty') return 'human';
  if (format === 'json') return 'json';
  throw new CliError(`--format: unknown format "${format}" (text or json)`);
}

function phaseOf(phase: string | undefined): PhaseOption | undefined {
  if (phase === undefined) return undefined;
  if (['expand', 'migrate', 'contract', 'all'].includes(phase)) return phase as PhaseOption;
  throw new CliError(`--phase: unknown phase "${phase}" (expand, migrate, contract or all)`);
}

/** Runs `fn`, turning every failure into a CliError without a stack and without a password. */
async function guarded<T>(red: Redactor, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CliError) throw new CliError(red.text(err.message), err.exitCode);
    if (err instanceof ConfigError) throw new CliError(red.text(err.message), 2);
    if (err instanceof FleetError) throw new CliError(red.text(err.message), err.exitCode);
    throw new CliError(red.text(redactError(err).message), 1);
  }
}

function summarise(waves: readonly AssignedWave[]): string[] {
  return waves.map((w) => {
    const names = w.targets.map((t) => t.name);
    const shown = names.length <= 4 ? names.join(', ') : `${names.slice(0, 3).join(', ')}, ... ${names.at(-1)}`;
    const g = w.gates;
    const gates = [`maxFailed ${g.maxFailed}`, g.soakMs ? `soak ${g.soakMs / 1000}s` : '', g.checks.length ? `${g.checks.length} check${g.checks.length === 1 ? '' : 's'}` : '', g.pause ? 'pause after' : ''].filter(Boolean).join(', ');
    return `  wave ${w.name}: ${w.targets.length} target${w.targets.length === 1 ? '' : 's'}${names.length ? ` (${shown})` : ''}; gates: ${gates}`;
  });
}

async function targetApplyOptions(args: FleetApplyArgs, spec: FleetSpec, configPath: string | undefined): Promise<{ options: TargetApplyOptions; loaded: Awaited<ReturnType<typeof loadCliConfig>> }> {
  const loaded = await loadCliConfig(configPath);
  const { config } = loaded;
  const a = spec.apply;
  const guard: Record<string, number> = {};
  const set = (k: string, v: number | undefined) => {
    if (v !== undefined) guard[k] = v;
  };
  set('killBlockersAfterMs', args.killBlockersAfter ?? a.killBlockersAfterMs);
  set('maxLockTimeoutMs', args.lockTimeoutMax ?? a.maxLockTimeoutMs ?? configMs(config.apply?.maxLockTimeout));
  set('startLockTimeoutMs', a.lockTimeoutMs ?? configMs(config.apply?.lockTimeout));
  set('statementTimeoutMs', args.statementTimeout ?? a.statementTimeoutMs ?? configMs(config.apply?.statementTimeout));
  set('maxRetries', a.retries ?? config.apply?.retries);
  const options: TargetApplyOptions = {};
  if (Object.keys(guard).length) options.guard = guard;
  const batch = a.batchTargetMs ?? config.apply?.batchTargetMs;
  if (batch !== undefined) options.backfill = { targetBatchMs: batch };
  const phase = phaseOf(args.phase) ?? a.phase;
  if (phase) options.phase = phase;
  if (args.yes ?? a.yes) options.yes = true;
  const allow = args.allowBlocking?.length ? args.allowBlocking : a.allowBlocking;
  if (allow?.length) options.allowBlocking = allow;
  const tp = await configThroughput(config.estimates);
  if (tp) options.throughput = tp;
  if (a.lockWaitMs !== undefined) options.waitTimeoutMs = a.lockWaitMs;
  return { options, loaded };
}

/** `ddlguard apply <plan.json | migration files> --fleet FILE`. */
export async function runApplyFleet(args: FleetApplyArgs): Promise<number> {
  const format = fleetFormat(args.format);
  const red = new Redactor();
  const out = createFleetOutput({ format, redactor: red, verbose: Boolean(args.verbose) });
  return guarded(red, async () => {
    const spec = await loadFleetFile(args.fleet);
    const { options, loaded } = await targetApplyOptions(args, spec, args.config);
    if (args.concurrency !== undefined && (!Number.isInteger(args.concurrency) || args.concurrency < 1)) throw new CliError(`--concurrency: expected an integer >= 1, got ${args.concurrency}`);
    const { targets, notes } = await resolveTargets(spec, { redactor: red });
    const waves = assignWaves(spec, targets);
    const ordered = waves.flatMap((w) => w.targets);
    // Migration files are planned from the first target's database (plan.json is the same for every target).
    const planOpts: Parameters<typeof loadPlanInput>[1] = { config: loaded };
    if (ordered[0]) planOpts.db = ordered[0].connectUrl;
    if (args.pgVersion !== undefined) planOpts.pgVersion = args.pgVersion;
    if (args.history) planOpts.history = args.history;
    const plan = await loadPlanInput(args.input, planOpts);
    const runId = args.run ?? spec.run ?? defaultRunId(plan, options.phase);
    const concurrency = args.concurrency ?? spec.concurrency;
    for (const n of notes) out.emit({ event: 'fleet.note', message: n });
    if (args.dryRun) {
      out.emit({
        event: 'fleet.dry-run',
        run: runId,
        plan: plan.id,
        steps: plan.steps.length,
        waves: waves.map((w) => ({ name: w.name, gates: w.gates, targets: w.targets.map((t) => ({ name: t.name, db: red.url(t.storedUrl), schema: t.schema, searchPath: t.searchPath })) })),
        message: [
          `dry run of fleet run ${runId}: plan ${plan.id} (${plan.steps.length} steps) to ${targets.length} targets in ${waves.length} waves, ${concurrency} at once per worker; nothing is executed`,
          ...waves.flatMap((w) => [`  wave ${w.name}:`, ...w.targets.map((t) => `    ${t.name}  ${red.url(t.storedUrl)}${t.schema ? `  schema ${t.schema} (search_path ${t.searchPath?.join(', ')})` : ''}`)]),
          '  (`ddlguard apply --dry-run` shows how each step runs)',
        ].join('\n'),
      });
      return 0;
    }
    const ctl = controlUrlFor(args.control, spec, waves);
    const control = await ControlDb.open(ctl.url, red);
    try {
      const { run, created } = await createOrResume(control, { runId, plan, waves, applyOptions: options, concurrency, leaseMs: spec.leaseMs, fleetFile: spec.file });
      out.emit({
        event: created ? 'fleet.start' : 'fleet.resume',
        run: runId,
        plan: plan.id,
        targets: targets.length,
        waves: waves.map((w) => ({ name: w.name, targets: w.targets.length })),
        control: red.url(ctl.url),
        message: [
          `${created ? 'fleet run' : 'resuming fleet run'} ${runId}: plan ${plan.id} (${plan.steps.length} steps) to ${targets.length} targets in ${waves.length} waves; control ${red.url(ctl.url)} (${ctl.from})${created ? '' : ` (recorded ${run.createdAt}: its own targets and waves, not the file's)`}`,
          ...summarise(waves),
        ].join('\n'),
      });
      if (args.detach) {
        out.emit({ event: 'fleet.detached', run: runId, message: `run ${runId} recorded; start workers with \`ddlguard fleet worker --control '${red.url(ctl.url)}' --run ${runId}\`` });
        return 0;
      }
      const urls = new Map(targets.map((t) => [t.name, t.connectUrl]));
      return await work(control, run, out, red, { urls, ...(args.concurrency !== undefined ? { concurrency: args.concurrency } : {}), ...(args.applyOverrides ? { applyOverrides: args.applyOverrides } : {}), ...(args.pollMs ? { pollMs: args.pollMs } : {}) }, format);
    } finally {
      await control.close();
    }
  });
}

async function work(control: ControlDb, run: RunRecord, out: FleetOutput, red: Redactor, extra: Partial<WorkerOptions>, format: FleetFormat): Promise<number> {
  const r = await runWorker({ control, runId: run.runId, redactor: red, output: out, handleSignals: true, ...extra });
  await printStatus(control, run.runId, red, format, false, out);
  return r.exitCode;
}

async function printStatus(control: ControlDb, runId: string, red: Redactor, format: FleetFormat, all: boolean, out?: FleetOutput): Promise<RunRecord> {
  const run = await control.loadRun(runId);
  if (!run) throw new FleetError(`no fleet run ${JSON.stringify(runId)} in the control database ${red.url(control.url)}`);
  const rc = new RollbackControl(control);
  const record = await rc.load(runId);
  const view = { run, waves: await control.loadWaves(runId), targets: await control.loadTargets(runId), controlUrl: control.url, rollback: record ? { record, targets: await rc.loadTargets(runId) } : null };
  if (format === 'json') {
    if (out) out.emit({ ...(statusJson(view, red) as Record<string, unknown>), event: 'fleet.status' });
    else process.stdout.write(`${JSON.stringify(statusJson(view, red))}\n`);
  } else process.stdout.write(renderStatus(view, red, { all }));
  return run;
}

/** The control database and run a `fleet` subcommand works on. */
async function openRun(
  args: FleetCommonArgs,
  red: Redactor,
  fleetUrls?: { urls?: Map<string, string> },
  /** Without --run: the run to work on (default the newest). */
  choose: (runs: RunRecord[]) => string = (runs) => runs[0]!.runId,
): Promise<{ control: ControlDb; runId: string }> {
  let spec: FleetSpec | null = null;
  let waves: AssignedWave[] | null = null;
  if (args.fleet) {
    spec = await loadFleetFile(args.fleet);
    // The targets are resolved for the first target's database (the default control) and for
    // the URLs of the file (a literal password the control database does not keep).
    if (!args.control || fleetUrls) {
      const { targets } = await resolveTargets(spec, { redactor: red });
      waves = assignWaves(spec, targets);
      if (fleetUrls) fleetUrls.urls = new Map(targets.map((t) => [t.name, t.connectUrl]));
    }
  } else if (!args.control) throw new CliError('give the control database: --control URL (or --fleet FILE)');
  const ctl = controlUrlFor(args.control, spec, waves);
  const control = await ControlDb.open(ctl.url, red);
  try {
    let runId = args.run ?? spec?.run;
    if (!runId) {
      const runs = await control.listRuns();
      if (runs.length === 0) throw new FleetError(`no fleet runs in the control database ${red.url(ctl.url)}`);
      runId = choose(runs);
    } else if (!(await control.loadRun(runId))) {
      const runs = await control.listRuns();
      throw new FleetError(`no fleet run ${JSON.stringify(runId)} in the control database ${red.url(ctl.url)}${runs.length ? ` (runs there: ${runs.slice(0, 5).map((r) => r.runId).join(', ')})` : ''}`);
    }
    return { control, runId };
  } catch (err) {
    await control.close();
    throw err;
  }
}

export interface WorkerArgs extends FleetCommonArgs {
  concurrency?: number;
  /** Stay while the run is paused or halted. */
  wait?: boolean;
  workerId?: string;
  verbose?: boolean;
  pollMs?: number;
}

/** `ddlguard fleet worker --control URL --run ID`: claims and applies targets until the run is done, paused, halted or aborted. */
export async function runFleetWorker(args: WorkerArgs): Promise<number> {
  const format = fleetFormat(args.format);
  const red = new Redactor();
  const out = createFleetOutput({ format, redactor: red, verbose: Boolean(args.verbose) });
  return guarded(red, async () => {
    if (args.concurrency !== undefined && (!Number.isInteger(args.concurrency) || args.concurrency < 1)) throw new CliError(`--concurrency: expected an integer >= 1, got ${args.concurrency}`);
    const holder: { urls?: Map<string, string> } = {};
    const { control, runId } = await openRun(args, red, args.fleet ? holder : undefined);
    try {
      const run = (await control.loadRun(runId))!;
      return await work(
        control,
        run,
        out,
        red,
        {
          ...(holder.urls ? { urls: holder.urls } : {}),
          ...(args.concurrency !== undefined ? { concurrency: args.concurrency } : {}),
          ...(args.wait ? { waitWhilePaused: true } : {}),
          ...(args.workerId ? { workerId: args.workerId } : {}),
          ...(args.pollMs ? { pollMs: args.pollMs } : {}),
        },
        format,
      );
    } finally {
      await control.close();
    }
  });
}

export interface StatusArgs extends FleetCommonArgs {
  all?: boolean;
}

export async function runFleetStatus(args: StatusArgs): Promise<number> {
  const format = fleetFormat(args.format);
  const red = new Redactor();
  return guarded(red, async () => {
    const { control, runId } = await openRun(args, red);
    try {
      const run = await printStatus(control, runId, red, format, Boolean(args.all));
      const failed = (await control.loadTargets(runId)).some((t) => t.status === 'failed');
      return run.status === 'done' ? (failed ? EXIT_FLEET.failures : EXIT_FLEET.done) : run.status === 'halted' ? EXIT_FLEET.halted : run.status === 'paused' ? EXIT_FLEET.paused : run.status === 'aborted' ? EXIT_FLEET.stopped : 0;
    } finally {
      await control.close();
    }
  });
}

export interface ContinueArgs extends WorkerArgs {
  /** Pass a failed gate as it is (recorded on the wave). */
  skipGate?: boolean;
  /** Only change the run's state: workers started elsewhere do the work. */
  detach?: boolean;
}

/** `ddlguard fleet continue`: passes a pause or a fixed gate, then works on the run here (unless --detach). */
export async function runFleetContinue(args: ContinueArgs): Promise<number> {
  const format = fleetFormat(args.format);
  const red = new Redactor();
  const out = createFleetOutput({ format, redactor: red, verbose: Boolean(args.verbose) });
  return guarded(red, async () => {
    const holder: { urls?: Map<string, string> } = {};
    const { control, runId } = await openRun(args, red, args.fleet ? holder : undefined);
    try {
      const { did, requeued } = await control.continueRun(runId, actor(), Boolean(args.skipGate));
      out.emit({ event: 'fleet.continue', run: runId, requeued, skipGate: Boolean(args.skipGate), message: `run ${runId}: ${did}` });
      const run = (await control.loadRun(runId))!;
      if (args.detach || run.status !== 'running') {
        if (!args.detach) await printStatus(control, runId, red, format, false, out);
        return 0;
      }
      return await work(
        control,
        run,
        out,
        red,
        {
          ...(holder.urls ? { urls: holder.urls } : {}),
          ...(args.concurrency !== undefined ? { concurrency: args.concurrency } : {}),
          ...(args.wait ? { waitWhilePaused: true } : {}),
          ...(args.pollMs ? { pollMs: args.pollMs } : {}),
        },
        format,
      );
    } finally {
      await control.close();
    }
  });
}

export interface AbortArgs extends FleetCommonArgs {
  /** Also stop the running targets after their current batch or step. */
  stopRunning?: boolean;
}

/** `ddlguard fleet abort`: no worker claims a new target of the run. */
export async function runFleetAbort(args: AbortArgs): Promise<number> {
  const format = fleetFormat(args.format);
  const red = new Redactor();
  const out = createFleetOutput({ format, redactor: red });
  return guarded(red, async () => {
    const { control, runId } = await openRun(args, red);
    try {
      if (await new RollbackControl(control).abort(runId, actor(), Boolean(args.stopRunning))) {
        out.emit({
          event: 'fleet.rollback.aborted',
          run: runId,
          stopRunning: Boolean(args.stopRunning),
          message: `rollback of run ${runId} aborted: no new target is claimed; running targets ${args.stopRunning ? 'stop after their current step' : 'finish (--stop-running stops them after their current step)'}; the same \`ddlguard rollback\` resumes it`,
        });
        return 0;
      }
      const status = await control.abortRun(runId, actor(), Boolean(args.stopRunning));
      if (status === null) {
        const run = (await control.loadRun(runId))!;
        out.emit({ event: 'fleet.abort-none', run: runId, status: run.status, message: `run ${runId} is ${run.status}: nothing to abort` });
        return 1;
      }
      const running = (await control.loadTargets(runId)).filter((t) => t.status === 'running').length;
      out.emit({
        event: 'fleet.aborted',
        run: runId,
        running,
        stopRunning: Boolean(args.stopRunning),
        message: `run ${runId} aborted: no new target is claimed; ${running} running target${running === 1 ? '' : 's'} ${args.stopRunning ? 'stop after their current batch or step' : 'finish (--stop-running stops them after their current batch or step)'}; \`ddlguard fleet continue\` resumes`,
      });
      return 0;
    } finally {
      await control.close();
    }
  });
}

export interface FleetRollbackArgs extends FleetCommonArgs {
  /** plan.json (checked against the run's plan), migration files (the run's recorded plan is rolled back), or nothing. */
  input: string[];
  /** Only these waves (names). */
  wave?: string[];
  /** Only these targets (names or globs). */
  targets?: string[];
  /** Not these targets (names or globs). */
  exclude?: string[];
  to?: string;
  yes?: boolean;
  dryRun?: boolean;
  concurrency?: number;
  verbose?: boolean;
  killBlockersAfter?: number;
  lockTimeoutMax?: number;
  statementTimeout?: number;
  config?: string;
  workerId?: string;
  /** Tests: over each target's rollback options, and the loop's poll interval. */
  rollbackOverrides?: RollbackWorkerOptions['rollbackOverrides'];
  pollMs?: number;
}

const asList = (xs: string[] | undefined): string[] | null => {
  const out = (xs ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
  return out.length ? out : null;
};

/**
 * `ddlguard rollback [plan.json | migration files] --control URL --run ID` (or `--fleet FILE`):
 * checks every target the rollback touches, refuses as a whole when one would refuse, then
 * records the rollback and works on it here, newest wave first (src/fleet/rollback.ts).
 */
export async function runRollbackFleet(args: FleetRollbackArgs): Promise<number> {
  const format = fleetFormat(args.format);
  const red = new Redactor();
  const out = createFleetOutput({ format, redactor: red, verbose: Boolean(args.verbose) });
  return guarded(red, async () => {
    if (args.concurrency !== undefined && (!Number.isInteger(args.concurrency) || args.concurrency < 1)) throw new CliError(`--concurrency: expected an integer >= 1, got ${args.concurrency}`);
    const planFile = args.input.length === 1 && args.input[0]!.endsWith('.json') ? args.input[0]! : null;
    const given: Plan | null = planFile ? await loadPlanInput([planFile]) : null;
    const holder: { urls?: Map<string, string> } = {};
    const { control, runId } = await openRun(args, red, args.fleet ? holder : undefined, (runs) => {
      const of = given ? runs.filter((r) => r.planId === given.id) : runs;
      if (of.length === 1) return of[0]!.runId;
      const shown = (of.length ? of : runs).slice(0, 10).map((r) => `${r.runId} (${r.status}, ${r.createdAt})`).join(', ');
      throw new CliError(`rollback: ${of.length ? 'more than one fleet run' : 'no fleet run'}${given ? ` of plan ${given.id}` : ''} in the control database: name it with --run (runs there: ${shown})`);
    });
    try {
      const run = (await control.loadRun(runId))!;
      if (given && planHash(given) !== run.planHash) {
        throw new CliError(`rollback: ${planFile} is not the plan of fleet run ${runId} (its hash ${planHash(given)}, the run's ${run.planHash}); give the run's plan.json, or none (the run keeps its plan)`);
      }
      if (args.input.length && !planFile) out.emit({ event: 'fleet.note', run: runId, message: `the migration files are not planned again: fleet run ${runId} is rolled back with its recorded plan ${run.planId}, as it was applied` });
      const plan = runPlan(run);
      if (args.to !== undefined && !plan.steps.some((st) => st.id === args.to)) {
        throw new CliError(`--to: plan ${plan.id} of run ${runId} has no step ${args.to} (its steps: ${plan.steps.map((st) => st.id).join(', ')})`);
      }
      const waves = await control.loadWaves(runId);
      const names = new Map(waves.map((w) => [w.wave, w.name]));
      const waveName = (i: number) => names.get(i) ?? String(i);
      const scope: RollbackScope = { waves: asList(args.wave), targets: asList(args.targets), exclude: asList(args.exclude), to: args.to ?? null };
      const all = await control.loadTargets(runId);
      const selected = selectTargets(waves, all, scope);
      const rc = new RollbackControl(control);
      const existing = await rc.load(runId);
      // Joining (or resuming) the rollback under way: only its unfinished targets are checked.
      const joining = existing !== null && existing.status !== 'done' && sameScope(existing.scope, scope);
      const rows = joining ? new Map((await rc.loadTargets(runId)).filter((t) => t.generation === existing!.generation).map((t) => [t.target, t])) : null;
      const unfinished = (name: string) => {
        const st = rows?.get(name)?.status;
        return st === undefined || st === 'pending' || st === 'running' || st === 'failed' || st === 'refused';
      };
      if (existing?.status === 'done' && sameScope(existing.scope, scope) && !args.dryRun) {
        out.emit({ event: 'fleet.rollback.done', run: runId, scope, already: true, message: `the rollback of fleet run ${runId} (${describeScope(scope)}) is done already: nothing to do` });
        await printStatus(control, runId, red, format, false, out);
        return EXIT_FLEET_ROLLBACK.done;
      }
      const started = selected.filter((t) => t.claims > 0);
      const toCheck = started.filter((t) => !rows || unfinished(t.target));
      const notStarted = selected.filter((t) => t.claims === 0);
      if (!args.dryRun && run.status === 'running') throw new CliError(`fleet run ${runId} is running: stop it first (\`ddlguard fleet abort --stop-running\`), then roll it back`, EXIT_FLEET_ROLLBACK.busy);
      const { config } = await loadCliConfig(args.config);
      const guard: Record<string, number> = { ...(run.applyOptions.guard as Record<string, number> | undefined) };
      const maxLockTimeout = args.lockTimeoutMax ?? configMs(config.apply?.maxLockTimeout);
      const statementTimeout = args.statementTimeout ?? configMs(config.apply?.statementTimeout);
      if (args.killBlockersAfter !== undefined) guard.killBlockersAfterMs = args.killBlockersAfter;
      if (maxLockTimeout !== undefined) guard.maxLockTimeoutMs = maxLockTimeout;
      if (statementTimeout !== undefined) guard.statementTimeoutMs = statementTimeout;
      const options: TargetRollbackOptions = { ...(args.yes ? { yes: true } : {}), ...(Object.keys(guard).length ? { guard } : {}), ...(run.applyOptions.waitTimeoutMs !== undefined ? { waitTimeoutMs: run.applyOptions.waitTimeoutMs } : {}) };
      const concurrency = args.concurrency ?? existing?.concurrency ?? run.concurrency;

      out.emit({
        event: 'fleet.rollback.check',
        run: runId,
        plan: plan.id,
        scope,
        targets: toCheck.length,
        notStarted: notStarted.length,
        message: `rollback of fleet run ${runId} (plan ${plan.id}; ${describeScope(scope)}): checking ${toCheck.length} target${toCheck.length === 1 ? '' : 's'} before anything changes${notStarted.length ? ` (${notStarted.length} the run never started: nothing to undo there)` : ''}${joining ? `; joining the rollback ${existing!.status === 'running' ? 'under way' : existing!.status}` : ''}`,
      });
      const checks = await checkTargets(plan, toCheck, { to: scope.to, ...(holder.urls ? { urls: holder.urls } : {}), redactor: red, concurrency });
      const refusal = refusalOf(plan, checks, waveName, { yes: Boolean(args.yes), runId });
      if (args.dryRun) {
        out.emit({
          event: 'fleet.rollback.dry-run',
          run: runId,
          plan: plan.id,
          scope,
          targets: checks.map((c) => ({ target: c.target.target, wave: waveName(c.target.wave), status: c.status, wouldRollBack: c.wouldRollBack, irreversible: c.irreversible, dataLoss: c.dataLoss, ...(c.error ? { error: c.error } : {}) })),
          notStarted: notStarted.map((t) => t.target),
          ...(refusal ? { refused: { reason: refusal.reason, exitCode: refusal.exitCode } } : {}),
          message: [
            `dry run of the rollback of fleet run ${runId}: plan ${plan.id}, ${selected.length} target${selected.length === 1 ? '' : 's'}, newest wave first; nothing is executed`,
            ...describeChecks(checks, notStarted, waveName, Boolean(args.yes)),
            ...(refusal ? [`  it would be refused: ${refusal.message}`] : []),
          ].join('\n'),
        });
        return refusal && refusal.reason !== 'needs-confirmation' ? refusal.exitCode : 0;
      }
      if (refusal) {
        out.emit({ event: 'fleet.rollback.refused', run: runId, reason: refusal.reason, targets: refusal.targets, message: refusal.message });
        return refusal.exitCode;
      }
      const leaseMs = existing?.leaseMs ?? run.leaseMs;
      const st = await rc.start({ runId, scope, options, concurrency, leaseMs, targets: selected.map((t) => ({ target: t.target, wave: t.wave, ordinal: t.ordinal, started: t.claims > 0 })) });
      out.emit({
        event: st.did === 'joined' || st.did === 'resumed' ? 'fleet.rollback.resume' : 'fleet.rollback.start',
        run: runId,
        plan: plan.id,
        scope,
        did: st.did,
        requeued: st.requeued,
        targets: toCheck.length,
        control: red.url(control.url),
        message:
          st.did === 'joined'
            ? `joining the rollback of fleet run ${runId} under way (${describeScope(scope)})`
            : st.did === 'resumed'
              ? `resuming the rollback of fleet run ${runId} (${describeScope(scope)})${st.requeued.length ? `: ${st.requeued.length} failed target${st.requeued.length === 1 ? '' : 's'} re-queued` : ''}`
              : `rolling back fleet run ${runId}: ${toCheck.length} target${toCheck.length === 1 ? '' : 's'} checked, newest wave first (${describeScope(scope)}); control ${red.url(control.url)}`,
      });
      const r = await runRollbackWorker({
        control,
        runId,
        redactor: red,
        output: out,
        handleSignals: true,
        ...(holder.urls ? { urls: holder.urls } : {}),
        ...(args.concurrency !== undefined ? { concurrency: args.concurrency } : {}),
        ...(args.workerId ? { workerId: args.workerId } : {}),
        ...(args.pollMs ? { pollMs: args.pollMs } : {}),
        ...(args.rollbackOverrides ? { rollbackOverrides: args.rollbackOverrides } : {}),
      });
      await printStatus(control, runId, red, format, false, out);
      return r.exitCode;
    } finally {
      await control.close();
    }
  });
}
