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
