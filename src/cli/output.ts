import { createRequire } from 'node:module';
import { ALL_RULES } from '../../rules/index.js';
import { FORMAT_NAMES, type FormatName, type ReporterContext } from '../lint/reporters/types.js';
import type { LintResult } from '../lint/types.js';
import { CliError } from './exit.js';

export function toolVersion(): string {
  const require = createRequire(import.meta.url);
  for (const p of ['../../package.json', '../../../package.json']) {
    try {
      return (require(p) as { version: string }).version;
    } catch {
      // try the next location (src/ vs dist/src/)
    }
  }
  return '0.0.0';
}

export function resolveFormat(format: string | undefined): FormatName {
  const f = format ?? 'tty';
  if (!(FORMAT_NAMES as readonly string[]).includes(f)) throw new CliError(`--format: unknown format "${f}" (one of ${FORMAT_NAMES.join(', ')})`);
  return f as FormatName;
}

export function reporterContext(sources: Map<string, string>, colorFlag?: boolean): ReporterContext {
  const color = colorFlag ?? (process.env.FORCE_COLOR ? true : Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
  return { rules: ALL_RULES.map((r) => r.meta), cwd: process.cwd(), color, sources, files: [...sources.keys()], toolVersion: toolVersion() };
}

/** Load only the chosen reporter (each pulls its own dependencies). */
export async function renderResult(result: LintResult, format: FormatName, opts: { sources: Map<string, string>; color?: boolean | undefined }): Promise<string> {
  const modules: Record<FormatName, () => Promise<(r: LintResult, c: ReporterContext) => string>> = {
    tty: async () => (await import('../lint/reporters/tty.js')).ttyReporter,
    json: async () => (await import('../lint/reporters/json.js')).jsonReporter,
    sarif: async () => (await import('../lint/reporters/sarif.js')).sarifReporter,
    github: async () => (await import('../lint/reporters/github.js')).githubReporter,
    gitlab: async () => (await import('../lint/reporters/gitlab.js')).gitlabReporter,
    junit: async () => (await import('../lint/reporters/junit.js')).junitReporter,
    markdown: async () => (await import('../lint/reporters/markdown.js')).markdownReporter,
  };
  const reporter = await modules[format]();
  return reporter(result, reporterContext(opts.sources, opts.color));
}
