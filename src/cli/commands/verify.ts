/**
 * `ddlguard verify preflight <paths..> --db URL`: count rows that would make the
 * migration fail. `ddlguard verify compare --db URL --source t[.cols] --target t2[.cols]
 * [--target-db URL] [--key id] [--chunk-size N]`: compare rows chunk by chunk.
 * Exit 0 when clean, 1 when offending rows / mismatches were found, 2 on usage errors.
 */
import { discoverMigrations } from '../../migrations/discover.js';
import { readMigration } from '../../migrations/sections.js';
import { maskSecrets, urlSecrets } from '../../trace/engine.js';
import { compareTables } from '../../verify/compare.js';
import { preflight } from '../../verify/preflight.js';
import { CliError, EXIT_CLEAN, EXIT_FINDINGS } from '../exit.js';

export interface VerifyPreflightArgs {
  paths: string[];
  db?: string;
  format?: string;
  statementTimeout?: number;
  sampleRows?: number;
}

export interface VerifyCompareArgs {
  db?: string;
  targetDb?: string;
  /** `table` or `table:col1,col2`. */
  source: string;
  target: string;
  key?: string;
  chunkSize?: number;
  format?: string;
}

function secretsOf(...urls: Array<string | undefined>): string[] {
  return urls.flatMap((u) => (u ? urlSecrets(u) : []));
}

function requireDb(db: string | undefined): string {
  if (!db) throw new CliError('verify: --db postgres://... is required');
  if (!/^postgres(ql)?:\/\//i.test(db)) throw new CliError(`--db: expected a postgres:// URL, got ${maskSecrets(db)}`);
  return db;
}

export async function runVerifyPreflight(args: VerifyPreflightArgs): Promise<number> {
  const db = requireDb(args.db);
  const secrets = secretsOf(db);
  if (!args.paths?.length) throw new CliError('verify preflight: give migration files, directories or globs');
  const found = await discoverMigrations(args.paths, { cwd: process.cwd(), includeDown: false, exclude: [] });
  const files = await Promise.all(found.map(readMigration));
  let result;
  try {
    result = await preflight(files, { engine: db, statementTimeoutMs: args.statementTimeout, sampleRows: args.sampleRows });
  } catch (e) {
    throw new CliError(`verify preflight: ${maskSecrets((e as Error).message, secrets)}`);
  }
  if (args.format === 'json') process.stdout.write(maskSecrets(`${JSON.stringify(result, null, 2)}\n`, secrets));
  else {
    const lines: string[] = [];
    for (const c of result.checks) {
      const status = c.error ? `error: ${c.error}` : c.offending === 0 ? 'ok' : `${c.offending} offending`;
      lines.push(`${c.file}:${c.line}  ${c.relation}  ${c.description}: ${status}`);
      for (const s of c.samples) lines.push(`    ${JSON.stringify(s)}`);
    }
    for (const n of result.notes) lines.push(`note: ${n}`);
    if (!result.checks.length) lines.push('nothing to check');
    process.stdout.write(maskSecrets(`${lines.join('\n')}\n`, secrets));
  }
  return result.ok ? EXIT_CLEAN : EXIT_FINDINGS;
}

function side(spec: string): { table: string; columns?: string[] } {
  const [table, cols] = spec.split(':');
  if (!table) throw new CliError(`verify compare: bad table spec "${spec}" (table or table:col1,col2)`);
  return cols ? { table, columns: cols.split(',').map((c) => c.trim()).filter(Boolean) } : { table };
}

export async function runVerifyCompare(args: VerifyCompareArgs): Promise<number> {
  const db = requireDb(args.db);
  const targetDb = args.targetDb ? requireDb(args.targetDb) : db;
  const secrets = secretsOf(db, targetDb);
  let result;
  try {
    result = await compareTables({
      source: { engine: db, ...side(args.source), ...(args.key ? { key: args.key } : {}) },
      target: { engine: targetDb, ...side(args.target), ...(args.key ? { key: args.key } : {}) },
      ...(args.chunkSize ? { chunkSize: args.chunkSize } : {}),
    });
  } catch (e) {
    throw new CliError(`verify compare: ${maskSecrets((e as Error).message, secrets)}`);
  }
  if (args.format === 'json') process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const lines = [`${result.chunks} chunks, ${result.sourceRows} source rows, ${result.targetRows} target rows: ${result.equal ? 'equal' : `${result.mismatches.length} mismatching key ranges`}`];
    for (const m of result.mismatches) lines.push(`  keys [${m.from}, ${m.to}): ${m.sourceRows} vs ${m.targetRows} rows`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return result.equal ? EXIT_CLEAN : EXIT_FINDINGS;
}
