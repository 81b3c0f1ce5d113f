/**
 * ddlguard's library API. `lint()` is what the CLI runs.
 */
import { ALL_RULES, ruleById } from '../rules/index.js';
import { lint as lintWith, DEFAULT_PG_VERSION, type LintOptions } from './lint/api.js';
import type { LintResult } from './lint/types.js';

export type { Finding, LintError, LintResult, LintSummary, Rule, RuleMeta, Severity, SeveritySetting } from './lint/types.js';
export { LOCK_FACTS, lockFact } from './locks/table.js';
export { ALL_RULES, ruleById, DEFAULT_PG_VERSION };

export type { LintOptions };

/** Lint migration files. `rules` defaults to the full catalogue. */
export function lint(opts: Omit<LintOptions, 'rules'> & { rules?: LintOptions['rules'] }): Promise<LintResult> {
  return lintWith({ ...opts, rules: opts.rules ?? ALL_RULES });
}

// ---- plan, apply, trace, verify -------------------------------------------------
// Loaded on first use, so `import { lint } from 'ddlguard'` never loads pg or PGlite.

export type { Plan, PlanStep } from './plan/model.js';
export type { PlanFile, PlanOptions } from './plan/planner.js';
export type { ApplyOptions, ApplyResult } from './apply/runner.js';
export type { TraceOptions, TraceResult, TraceSource } from './trace/trace.js';
export type { PreflightOptions, PreflightResult } from './verify/preflight.js';
export type { CompareOptions, CompareResult } from './verify/compare.js';

/** Rewrite migrations into online expand / migrate / contract steps (a plain, serialisable value). */
export async function plan(files: import('./plan/planner.js').PlanFile[], opts: import('./plan/planner.js').PlanOptions): Promise<import('./plan/model.js').Plan> {
  const [{ planMigration }, { loadParser }] = await Promise.all([import('./plan/planner.js'), import('./sql/parser.js')]);
  await loadParser();
  return planMigration(files, opts);
}

/** Render a plan: a psql script, its JSON form (the input of apply), or a Markdown review. */
export async function renderPlan(p: import('./plan/model.js').Plan, format: 'sql' | 'json' | 'markdown', originals: { path: string; text: string }[] = []): Promise<string> {
  if (format === 'json') return (await import('./plan/render/json.js')).renderJson(p);
  if (format === 'markdown') return (await import('./plan/render/markdown.js')).renderMarkdown(p, originals);
  return (await import('./plan/render/sql.js')).renderSql(p);
}

/** Execute a plan against a database with lock-timeout guards, batching and crash-safe resume. */
export async function apply(p: import('./plan/model.js').Plan, opts: import('./apply/runner.js').ApplyOptions): Promise<import('./apply/runner.js').ApplyResult> {
  const { applyPlan } = await import('./apply/runner.js');
  return applyPlan(p as never, opts);
}

/** Run migrations on PGlite (default) or a server and record the locks, rewrites and catalog changes. */
export async function trace(files: readonly import('./trace/trace.js').TraceSource[], opts: import('./trace/trace.js').TraceOptions): Promise<import('./trace/trace.js').TraceResult> {
  const [{ traceMigration }, { loadParser }] = await Promise.all([import('./trace/trace.js'), import('./sql/parser.js')]);
  await loadParser();
  return traceMigration(files, opts);
}

/** Count the rows that would make each statement of a migration fail. */
export async function preflight(files: ReadonlyArray<{ path: string; text: string }>, opts: import('./verify/preflight.js').PreflightOptions): Promise<import('./verify/preflight.js').PreflightResult> {
  const [{ preflight: run }, { loadParser }] = await Promise.all([import('./verify/preflight.js'), import('./sql/parser.js')]);
  await loadParser();
  return run(files, opts);
}

/** Compare two tables (or columns, or databases) by row counts and checksums in key-range chunks. */
export async function compare(opts: import('./verify/compare.js').CompareOptions): Promise<import('./verify/compare.js').CompareResult> {
  return (await import('./verify/compare.js')).compareTables(opts);
}
