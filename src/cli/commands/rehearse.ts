/**
 * `ddlguard rehearse <migration files | plan.json> --db URL [--scale 0.05 | --rows N]
 * [--scratch URL] [--naive] [--workload FILE] [--max-stall 1s] [--format markdown|html|json] [-o FILE]`:
 * rehearse the plan on production-shaped scratch databases under a replayed workload
 * and predict production's step durations (src/rehearse/run.ts).
 * Exit 0 done, 1 a step failed or the workload stalled longer than --max-stall, 2 usage,
 * connection or permission errors.
 */
import { writeFile } from 'node:fs/promises';
import { redactText, urlSecrets } from '../../db/connection.js';
import { loadCliConfig } from '../config.js';
import { resolveSources } from '../schema-source.js';
import { CliError, EXIT_CLEAN, EXIT_FINDINGS } from '../exit.js';
import { loadPlanInput } from './apply.js';

export interface RehearseArgs {
  input: string[];
  db?: string;
  scale?: number;
  rows?: number;
  scratch?: string;
  naive?: boolean;
  workload?: string;
  /** Milliseconds (parsed by main.ts). */
  maxStall?: number;
  format?: string;
  output?: string;
  config?: string;
  pgVersion?: number;
  history?: string[];
  /** Gap between production's two activity samples in ms (default 2000; tests). */
  sampleMs?: number;
  /** The workload's baseline before and after the plan in ms (default 1000; tests). */
  baselineMs?: number;
}

const FORMATS = ['markdown', 'html', 'json'] as const;

export async function runRehearse(args: RehearseArgs): Promise<number> {
  const format = (args.format ?? 'markdown') as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) throw new CliError(`--format: unknown format "${args.format}" (markdown, html or json)`);
  if (args.scale !== undefined && !(args.scale > 0 && args.scale <= 1)) throw new CliError(`--scale: expected a fraction in (0, 1], got ${args.scale}`);
  if (args.rows !== undefined && !(Number.isInteger(args.rows) && args.rows > 0)) throw new CliError(`--rows: expected a positive integer, got ${args.rows}`);
  if (args.scale !== undefined && args.rows !== undefined) throw new CliError('give --scale or --rows, not both');
  const loaded = await loadCliConfig(args.config);
  const prod = resolveSources({ db: args.db }, loaded).db;
  if (!prod) throw new CliError('rehearse: no production database: pass --db <url> (catalogs and statistics are read, never rows)');
  const secrets = [...urlSecrets(prod), ...urlSecrets(args.scratch)];
  const clean = (e: unknown) => redactText((e as Error)?.message ?? String(e), secrets);
  let plan;
  try {
    plan = await loadPlanInput(args.input, { config: loaded, db: prod, ...(args.pgVersion !== undefined ? { pgVersion: args.pgVersion } : {}), ...(args.history ? { history: args.history } : {}) });
  } catch (e) {
    if (e instanceof CliError) throw new CliError(clean(e), e.exitCode);
    throw new CliError(`cannot plan from ${args.input.join(' ')}: ${clean(e)}`);
  }
  // The migration as written (--naive): each planned statement once, in order.
  const seen = new Set<string>();
  const statements: string[] = [];
  for (const s of plan.steps) {
    if (!s.source?.statement) continue;
    const k = `${s.source.file}:${s.source.line}:${s.source.column}`;
    if (seen.has(k)) continue;
    seen.add(k);
    statements.push(s.source.statement);
  }
  const { rehearse, stalls } = await import('../../rehearse/run.js');
  const { MissingEngineError } = await import('../../rehearse/scratch.js');
  const { renderReport } = await import('../../rehearse/report/index.js');
  let report;
  try {
    report = await rehearse({
      prodUrl: prod,
      plan,
      statements,
      ...(args.scale !== undefined ? { scale: args.scale } : {}),
      ...(args.rows !== undefined ? { rows: args.rows } : {}),
      ...(args.scratch ? { scratchUrl: args.scratch } : {}),
      naive: Boolean(args.naive),
      ...(args.workload ? { workloadFile: args.workload } : {}),
      ...(args.sampleMs !== undefined ? { sampleMs: args.sampleMs } : {}),
      ...(args.baselineMs !== undefined ? { baselineMs: args.baselineMs } : {}),
      log: (m) => process.stderr.write(`ddlguard rehearse: ${redactText(m, secrets)}\n`),
    });
  } catch (e) {
    if (e instanceof MissingEngineError) throw new CliError(e.message);
    const code = (e as { code?: string }).code;
    const hint = code === '42501' ? ' (permission denied: the role needs pg_read_all_stats and CONNECT; rows are never read)' : '';
    throw new CliError(`rehearse: ${clean(e)}${hint}`);
  }
  const text = renderReport(report, format);
  if (args.output) await writeFile(args.output, text);
  else process.stdout.write(text);
  const failed = report.status !== 'done';
  const stalled = args.maxStall !== undefined ? stalls(report, args.maxStall) : [];
  for (const s of stalled) process.stderr.write(`ddlguard rehearse: the workload waited ${s.rehearsed.workload.maxMs} ms during ${s.id} (--max-stall ${args.maxStall} ms)\n`);
  if (failed) process.stderr.write(`ddlguard rehearse: the rehearsal ended ${report.status}${report.error ? `: ${report.error}` : ''}\n`);
  return failed || stalled.length ? EXIT_FINDINGS : EXIT_CLEAN;
}
