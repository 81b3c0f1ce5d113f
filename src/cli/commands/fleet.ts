/**
 * `ddlguard apply --fleet FILE` and `ddlguard fleet worker|status|continue|abort`.
 *
 * Exit codes: 0 the run is done and no target failed; 1 it is done with failed targets (within
 * the gates' limits) or an error stopped the worker; 2 usage, a bad fleet file, a target
 * source or the control database; 4 stopped (signal) or aborted; 6 halted by a gate; 7 paused
 * (`fleet continue` starts the next wave).
 */
import { redactError } from '../../db/connection.js';
import type { PhaseOption } from '../../apply/runner.js';
import { ConfigError } from '../../config/index.js';
import { actor, ControlDb } from '../../fleet/control.js';
import { FleetError } from '../../fleet/errors.js';
import { loadFleetFile } from '../../fleet/file.js';
import { createFleetOutput, type FleetFormat, type FleetOutput } from '../../fleet/progress.js';
import { controlUrlFor, createOrResume, defaultRunId } from '../../fleet/run.js';
import { Redactor } from '../../fleet/secrets.js';
import { renderStatus, statusJson } from '../../fleet/status.js';
import { resolveTargets } from '../../fleet/targets.js';
import type { AssignedWave, FleetSpec, RunRecord, TargetApplyOptions } from '../../fleet/types.js';
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
  const view = { run, waves: await control.loadWaves(runId), targets: await control.loadTargets(runId), controlUrl: control.url };
  if (format === 'json') {
    if (out) out.emit({ ...(statusJson(view, red) as Record<string, unknown>), event: 'fleet.status' });
    else process.stdout.write(`${JSON.stringify(statusJson(view, red))}\n`);
  } else process.stdout.write(renderStatus(view, red, { all }));
  return run;
}

/** The control database and run a `fleet` subcommand works on. */
async function openRun(args: FleetCommonArgs, red: Redactor, fleetUrls?: { urls?: Map<string, string> }): Promise<{ control: ControlDb; runId: string }> {
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
      runId = runs[0]!.runId;
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
