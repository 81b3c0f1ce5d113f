/**
 * The values a fleet rollout passes between its modules: the validated fleet file, the
 * resolved targets, the waves, and the records of the control database. Plain data.
 */
import type { BackfillOptions } from '../apply/backfill.js';
import type { GuardOptions } from '../apply/guard.js';
import type { PhaseOption } from '../apply/runner.js';
import type { Throughput } from '../locks/estimate.js';

/** What is checked after a wave, before the next one starts. */
export interface Gates {
  /** Failed targets the wave may have: a count, or a percentage of the wave's targets ('5%'). Above it the rollout halts. */
  maxFailed: number | string;
  /** Wait this long after the wave, then check again (the checks and the failures). */
  soakMs: number;
  /** SQL run on each done target of the wave; the first column of the first row must be true. */
  checks: string[];
  /** statement_timeout of each check. */
  checkTimeoutMs: number;
  /** Stop after this wave until `ddlguard fleet continue`. */
  pause: boolean;
}

export const DEFAULT_GATES: Gates = { maxFailed: 0, soakMs: 0, checks: [], checkTimeoutMs: 60_000, pause: false };

/** A database (or a schema of one) the plan is applied to, as the fleet file names it. */
export interface TargetSpec {
  name: string;
  url: string;
  schema?: string;
  searchPath?: string[];
  /** `fleet.yaml:4:5`, for errors found after validation. */
  at: string;
}

/** Every schema of a database whose name matches a LIKE pattern is a target. */
export interface SchemasSpec {
  url: string;
  match: string;
  exclude: string[];
  /** `{schema}` stands for the tenant's schema; default [`{schema}`, `public`]. */
  searchPath: string[];
  at: string;
}

/** Targets read from a tenant registry: rows with `name` and `url` (and optionally `schema`). */
export interface QuerySpec {
  url: string;
  sql: string;
  at: string;
}

export type SourceSpec = { kind: 'targets'; targets: TargetSpec[] } | { kind: 'schemas'; spec: SchemasSpec } | { kind: 'query'; spec: QuerySpec };

export type WaveSelect = { targets: Array<{ pattern: string; at: string }> } | { percent: number } | { count: number };

export interface WaveSpec {
  name: string;
  select: WaveSelect;
  /** This wave's gates over the fleet's. */
  gates: Partial<Gates>;
  at: string;
}

/** The `apply` key: how each target is applied (the same options as `ddlguard apply`). */
export interface FleetApplyConfig {
  phase?: PhaseOption;
  yes?: boolean;
  allowBlocking?: string[];
  lockTimeoutMs?: number;
  maxLockTimeoutMs?: number;
  statementTimeoutMs?: number;
  retries?: number;
  batchTargetMs?: number;
  killBlockersAfterMs?: number;
  /** How long a target waits for another applier on it (default 10 min). */
  lockWaitMs?: number;
}

/** How literal passwords in target URLs reach the control database. */
export type PasswordPolicy = 'strip' | 'store';

export interface FleetSpec {
  /** The file as shown in messages. */
  file: string;
  run?: string;
  control?: string;
  /** In the order the file lists them: targets are ordered by it. */
  sources: SourceSpec[];
  waves: WaveSpec[];
  concurrency: number;
  gates: Gates;
  leaseMs: number;
  passwords: PasswordPolicy;
  apply: FleetApplyConfig;
  /** `fleet.yaml:12:3` of the `waves` key. */
  wavesAt: string;
}

/** A resolved target. */
export interface FleetTarget {
  name: string;
  /** As stored in the control database: `${VAR}` not interpolated, literal passwords removed (unless `passwords: store`). */
  storedUrl: string;
  /** Interpolated, for this process only: never printed, never stored. */
  connectUrl: string;
  /** The tenant schema (schema per tenant), else null. */
  schema: string | null;
  searchPath: string[] | null;
  /** Where it comes from, for messages (`fleet.yaml:9:5 schemas`). */
  source: string;
}

export interface AssignedWave {
  name: string;
  gates: Gates;
  targets: FleetTarget[];
}

/** The apply options every target of a run gets (stored with the run, so every worker applies alike). */
export interface TargetApplyOptions {
  phase?: PhaseOption;
  yes?: boolean;
  allowBlocking?: string[];
  guard?: Partial<GuardOptions>;
  backfill?: Partial<BackfillOptions>;
  throughput?: Throughput;
  waitTimeoutMs?: number;
}

export type RunStatus = 'running' | 'paused' | 'halted' | 'aborted' | 'done';
export type WaveStatus = 'pending' | 'running' | 'gating' | 'passed' | 'failed';
export type TargetStatus = 'pending' | 'running' | 'done' | 'failed';

export interface RunRecord {
  runId: string;
  planId: string;
  planHash: string;
  plan: unknown;
  applyOptions: TargetApplyOptions;
  concurrency: number;
  leaseMs: number;
  fleetFile: string | null;
  status: RunStatus;
  currentWave: number;
  reason: string | null;
  abortRequested: boolean;
  stopRunning: boolean;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface GateCheckResult {
  target: string;
  check: string;
  ok: boolean;
  error?: string;
}

export interface GateResult {
  passed: boolean;
  /** Targets whose apply failed. */
  failed: string[];
  /** Targets a check failed on. */
  checkFailed: string[];
  allowed: number;
  checks: GateCheckResult[];
  reason: string;
  at: string;
  /** 'first' (when the wave ended) or 'after soak'. */
  pass: 'first' | 'after soak';
}

export interface WaveRecord {
  wave: number;
  name: string;
  gates: Gates;
  status: WaveStatus;
  gateWorker: string | null;
  soakUntil: string | null;
  gateResult: GateResult | null;
  overriddenBy: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface TargetRecord {
  target: string;
  wave: number;
  ordinal: number;
  /** The stored form (see FleetTarget.storedUrl). */
  url: string;
  dbName: string | null;
  schema: string | null;
  searchPath: string[] | null;
  /** The key of this target's rows in its database's ddlguard.apply_plan / apply_step. */
  stateKey: string;
  status: TargetStatus;
  claims: number;
  worker: string | null;
  leaseUntil: string | null;
  /** When the current (or last) claim was taken. */
  claimedAt: string | null;
  currentStep: string | null;
  /** Steps found done after the last apply of this target (ran now or before). */
  stepsDone: string[];
  /** Steps this run executed on the target. */
  ran: string[];
  failedStep: string | null;
  error: string | null;
  sqlstate: string | null;
  checkError: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  elapsedMs: number;
}

/** Which targets of a run a fleet rollback undoes, and how far. */
export interface RollbackScope {
  /** Wave names (null: every wave). */
  waves: string[] | null;
  /** Target names or globs (null: every target of those waves). */
  targets: string[] | null;
  /** Target names or globs left out. */
  exclude: string[] | null;
  /** Keep this step and the ones before it (`ddlguard rollback --to`). */
  to: string | null;
}

/** How each target is rolled back (stored with the rollback, so every worker rolls back alike). */
export interface TargetRollbackOptions {
  yes?: boolean;
  guard?: Partial<GuardOptions>;
  waitTimeoutMs?: number;
}

export type FleetRollbackStatus = 'running' | 'halted' | 'aborted' | 'done';
/** `nothing`: nothing to undo there (never started by the run, or nothing left after `to`). */
export type RollbackTargetStatus = 'pending' | 'running' | 'rolled-back' | 'nothing' | 'failed' | 'refused';

export interface RollbackRecord {
  runId: string;
  status: FleetRollbackStatus;
  scope: RollbackScope;
  options: TargetRollbackOptions;
  concurrency: number;
  leaseMs: number;
  /** Each new rollback of the run (a new scope, or after one finished) is a new generation; its targets carry it. */
  generation: number;
  /** The wave whose targets are being rolled back (they go newest first). */
  currentWave: number | null;
  reason: string | null;
  abortRequested: boolean;
  stopRunning: boolean;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface RollbackTargetRecord {
  target: string;
  wave: number;
  ordinal: number;
  generation: number;
  status: RollbackTargetStatus;
  claims: number;
  worker: string | null;
  leaseUntil: string | null;
  claimedAt: string | null;
  currentStep: string | null;
  /** Steps undone on the target by this rollback. */
  rolledBack: string[];
  failedStep: string | null;
  error: string | null;
  sqlstate: string | null;
  /** Why it is `nothing` or `refused` (the steps that cannot be undone). */
  note: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  elapsedMs: number;
}
