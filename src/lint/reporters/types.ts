import type { LintResult, RuleMeta } from '../types.js';

export interface ReporterContext {
  /** Metadata of every rule (ALL_RULES.map((r) => r.meta)); SARIF lists them all, others link/describe from it. */
  rules: readonly RuleMeta[];
  /** Directory the paths are reported relative to (the repository root in CI). */
  cwd: string;
  /** Emit ANSI colors (tty only). */
  color: boolean;
  /** file (as in Finding.file) -> source text: code frames (tty) and stable fingerprints (gitlab, sarif). */
  sources?: ReadonlyMap<string, string>;
  /**
   * Every linted file (as in Finding.file), in order. junit emits a passing
   * testcase for the ones without findings. Defaults to the keys of `sources`.
   */
  files?: readonly string[];
  /** ddlguard's version (package.json), for SARIF's tool.driver.version. */
  toolVersion: string;
}

/**
 * A reporter is pure: the whole output as one string, ending with a newline
 * (or empty when the format has nothing to say, e.g. github with no findings).
 */
export type Reporter = (result: LintResult, ctx: ReporterContext) => string;

export const FORMAT_NAMES = ['tty', 'json', 'sarif', 'github', 'gitlab', 'junit', 'markdown'] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];
