import { createRequire } from 'node:module';
import { ALL_RULES } from '../../rules/index.js';
import { REPORTERS } from '../lint/reporters/index.js';
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

export function renderResult(result: LintResult, format: FormatName, opts: { sources: Map<string, string>; color?: boolean | undefined }): string {
  return REPORTERS[format](result, reporterContext(opts.sources, opts.color));
}
