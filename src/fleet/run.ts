/**
 * Starting a rollout: the run's id, each target's state key, the control database it is
 * recorded in, and the run record itself (or the run of that id, resumed).
 */
import { planHash } from '../apply/state.js';
import type { PhaseOption } from '../apply/runner.js';
import type { Plan } from '../apply/types.js';
import { rolledBackMessage, type ControlDb, type NewRun } from './control.js';
import { FleetError } from './errors.js';
import { databaseOf, interpolate } from './secrets.js';
import type { AssignedWave, FleetSpec, FleetTarget, RunRecord, TargetApplyOptions } from './types.js';

/** The default run id: the plan's id (and the phase when it is not the default expand + migrate), so running the same rollout again resumes it. */
export function defaultRunId(plan: Pick<Plan, 'id'>, phase: PhaseOption | undefined): string {
  return phase === undefined ? plan.id : `${plan.id}-${phase}`;
}

/**
 * Where a target's progress lives in its database: a whole database keeps the plan's own
 * key (as a plain `ddlguard apply` would, so the two agree); a tenant schema gets
 * `<plan id>@<schema>`, so two schemas of one database never share a step's state.
 */
export function stateKeyFor(plan: Pick<Plan, 'id'>, target: Pick<FleetTarget, 'schema'>): string {
  return target.schema === null ? plan.id : `${plan.id}@${target.schema}`;
}

/** --control, then the fleet file's `control`, then the first target's database. */
export function controlUrlFor(explicit: string | undefined, spec: Pick<FleetSpec, 'control' | 'file'> | null, waves: readonly AssignedWave[] | null, env: NodeJS.ProcessEnv = process.env): { url: string; from: string } {
  if (explicit) return { url: explicit, from: '--control' };
  if (spec?.control) return { url: interpolate(spec.control, env, `${spec.file}: control`), from: `${spec.file}: control` };
  const first = waves?.flatMap((w) => w.targets)[0];
  if (first) return { url: first.connectUrl, from: `the first target's database (${first.name})` };
  throw new FleetError('no control database: pass --control URL (or --fleet FILE with a control key or targets)');
}

export interface RunInput {
  runId: string;
  plan: Plan;
  waves: AssignedWave[];
  applyOptions: TargetApplyOptions;
  concurrency: number;
  leaseMs: number;
  fleetFile: string | null;
}

export function newRun(i: RunInput): NewRun {
  return {
    runId: i.runId,
    planId: i.plan.id,
    planHash: planHash(i.plan),
    plan: i.plan,
    applyOptions: i.applyOptions,
    concurrency: i.concurrency,
    leaseMs: i.leaseMs,
    fleetFile: i.fleetFile,
    waves: i.waves.map((w) => ({
      name: w.name,
      gates: w.gates,
      targets: w.targets.map((t) => ({
        name: t.name,
        url: t.storedUrl,
        dbName: databaseOf(t.connectUrl),
        schema: t.schema,
        searchPath: t.searchPath,
        stateKey: stateKeyFor(i.plan, t),
      })),
    })),
  };
}

/** Records the run, or finds the run of that id and checks it is the same plan. */
export async function createOrResume(control: ControlDb, input: RunInput): Promise<{ run: RunRecord; created: boolean }> {
  await control.ensureSchema();
  const created = await control.createRun(newRun(input));
  const run = await control.loadRun(input.runId);
  if (!run) throw new FleetError(`fleet run ${input.runId}: not found right after it was recorded`);
  if (!created) {
    const rolledBack = await control.rollbackStatus(input.runId);
    if (rolledBack !== null) throw new FleetError(rolledBackMessage(input.runId, rolledBack));
  }
  if (!created && run.planHash !== planHash(input.plan)) {
    throw new FleetError(
      `fleet run ${JSON.stringify(input.runId)} already exists with another plan (recorded hash ${run.planHash}, this plan ${planHash(input.plan)}): pass --run NEW_ID to start a new run, or give the changed plan a new id`,
    );
  }
  return { run, created };
}
