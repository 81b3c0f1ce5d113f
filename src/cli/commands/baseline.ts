/**
 * `ddlguard baseline`: record the migrations that exist now (or up to `--upto`) as
 * released, in the config's `baseline` key. Lint then treats them as history; new
 * migrations are linted. See src/migrations/baseline.ts for the cut-off and how files
 * added before it later are found.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ALL_RULES } from '../../../rules/index.js';
import { ConfigError, parseConfigText } from '../../config/index.js';
import { withConfigKey } from '../../config/write.js';
import { recordBaseline, type BaselineEntry, type RecordedBaseline } from '../../migrations/baseline.js';
import { discoverMigrations, sequenceKeys, compareSequence, type MigrationFile } from '../../migrations/discover.js';
import { loadCliConfig } from '../config.js';
import { CliError } from '../exit.js';

export interface BaselineArgs {
  paths?: string[];
  config?: string;
  /** The last released migration (a file, or a Diesel/Prisma migration folder): later ones in its sequence stay new. */
  upto?: string;
  /** Print the baseline without writing the config. */
  dryRun?: boolean;
}

/** One line per entry, for init and baseline. */
export function baselineLines(recorded: RecordedBaseline, cwdRel: (root: string) => string): string[] {
  const lines = recorded.entries.map((e) => `${cwdRel(e.root)}/ (${e.framework}): ${e.count ?? '?'} migration${e.count === 1 ? '' : 's'} up to ${e.last}`);
  if (recorded.uncovered.length) lines.push(`not covered (always linted): ${recorded.uncovered.length} Flyway repeatable or unplanned sqitch migration${recorded.uncovered.length === 1 ? '' : 's'}`);
  return lines;
}

/** The migrations up to `upto` in its sequence, and every migration of the other sequences. */
function upTo(files: readonly MigrationFile[], upto: string, cwd: string): MigrationFile[] {
  const abs = path.resolve(cwd, upto);
  const keys = sequenceKeys(files);
  const at = files.findIndex((f) => f.path === abs || path.dirname(f.path) === abs);
  if (at < 0) throw new CliError(`baseline --upto: ${upto} is not one of the migrations found`);
  const cut = keys[at]!;
  return files.filter((_, i) => keys[i]!.root !== cut.root || compareSequence(keys[i]!, cut) <= 0);
}

export async function runBaseline(args: BaselineArgs): Promise<number> {
  const cwd = process.cwd();
  const loaded = await loadCliConfig(args.config);
  if (!loaded.path || !loaded.format) throw new CliError('baseline: no ddlguard config found here or above (run `ddlguard init`, or give --config)');
  const fromConfig = (globs: string[] | undefined) => (globs ?? []).map((g) => path.relative(cwd, path.resolve(loaded.dir, g)) || '.');
  const inputs = args.paths?.length ? args.paths : fromConfig(loaded.config.migrations);
  if (inputs.length === 0) throw new CliError('baseline: give the migration directories, or set "migrations" in the config');
  let files = await discoverMigrations(inputs, { cwd, exclude: fromConfig(loaded.config.ignore) }).catch((e: Error) => {
    throw new CliError(`baseline: ${e.message}`);
  });
  if (args.upto) files = upTo(files, args.upto, cwd);
  const recorded = recordBaseline(files, loaded.dir);
  // Sequences not recorded this time keep their entries.
  const roots = new Set(recorded.entries.map((e) => e.root));
  const kept: BaselineEntry[] = (loaded.config.baseline?.released ?? []).filter((e) => !roots.has(e.root));
  const released = [...kept, ...recorded.entries].sort((a, b) => (a.root < b.root ? -1 : a.root > b.root ? 1 : 0));
  const shown = path.relative(cwd, loaded.path) || path.basename(loaded.path);
  const rel = (root: string) => path.relative(cwd, path.resolve(loaded.dir, root)) || '.';
  const lines = baselineLines(recorded, rel);
  if (args.dryRun) {
    process.stdout.write([`baseline (not written; ${shown} unchanged):`, ...lines.map((l) => `  ${l}`), JSON.stringify({ baseline: { released } }, null, 2), ''].join('\n'));
    return 0;
  }
  const text = withConfigKey(readFileSync(loaded.path, 'utf8'), loaded.format, 'baseline', { released });
  try {
    parseConfigText(text, { format: loaded.format, file: loaded.path, knownRuleIds: ALL_RULES.map((r) => r.meta.id) });
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(`baseline: the config would not be valid: ${e.message}`);
    throw e;
  }
  writeFileSync(loaded.path, text);
  process.stdout.write(
    [
      `recorded the baseline in ${shown}: these migrations are released and only inform the schema from now on`,
      ...lines.map((l) => `  ${l}`),
      'new migrations (sorting after these) are linted; `ddlguard lint --all` lints the released ones too',
      '',
    ].join('\n'),
  );
  return 0;
}
