/**
 * The `lint` command's options, declared once. yargs is built from this table,
 * and so is the fast path in main.ts (node:util parseArgs), which skips loading
 * yargs for a plain `ddlguard lint ...` (pre-commit hooks and editors are
 * latency-bound; yargs and its dependencies cost ~60 ms to load).
 */
// A named import: esbuild bundles `await import('node:util')` as a copy of every property of the
// module (__toESM), and reading node:util's lazy ones loads what they stand for (streams,
// encodings). With the launcher's named imports: 0.97x wall time for one file on Node 24.
import { parseArgs } from 'node:util';

export interface OptionSpec {
  type: 'string' | 'number' | 'boolean';
  array?: boolean;
  alias?: string;
  choices?: readonly string[];
  describe: string;
}

export const LINT_OPTIONS: Record<string, OptionSpec> = {
  'pg-version': { type: 'number', describe: 'PostgreSQL major version the migrations run on (default 15)' },
  format: { type: 'string', alias: 'f', describe: 'tty | json | sarif | github | gitlab | junit | markdown' },
  'assume-in-transaction': { type: 'boolean', describe: 'Each file runs inside one transaction (default: per framework)' },
  history: { type: 'string', array: true, describe: 'Files/globs that only inform the schema model' },
  rule: { type: 'string', array: true, describe: 'Run only these rules' },
  enable: { type: 'string', array: true, describe: 'Enable rules that are off by default' },
  disable: { type: 'string', array: true, describe: 'Disable rules' },
  'severity-threshold': { type: 'string', choices: ['info', 'warning', 'error'], describe: 'Exit 1 when a finding is at or above this (default warning)' },
  'stdin-filepath': { type: 'string', describe: 'Path to report stdin input under' },
  config: { type: 'string', describe: 'Config file (default: ddlguard.config.{json,yaml} found upwards)' },
  exclude: { type: 'string', array: true, describe: 'Path globs to skip' },
  'include-down': { type: 'boolean', describe: 'Also lint down/rollback files' },
  since: { type: 'string', describe: 'Lint only migrations changed since this git ref' },
  base: { type: 'string', describe: 'Git ref of the released state (expand/contract awareness)' },
  fix: { type: 'boolean', describe: 'Apply mechanical fixes in place' },
  'fix-dry-run': { type: 'boolean', describe: 'Print the fixes as a unified diff' },
  color: { type: 'boolean', describe: 'Force colour on or off' },
  all: { type: 'boolean', describe: 'Also lint the migrations the config\'s baseline records as released' },
  verbose: { type: 'boolean', describe: 'Print the full lists behind summaries (every file searched for readers)' },
  db: { type: 'string', describe: 'Live database: its schema and table sizes, and readers in pg_stat_statements (default DATABASE_URL, then config db; --no-db for none)' },
  schema: { type: 'string', describe: 'Schema file: a snapshot from `ddlguard schema export` or `pg_dump --schema-only` output' },
  cache: { type: 'boolean', describe: 'Reuse the results of files unchanged since the last run (and everything before them)' },
  'cache-location': { type: 'string', describe: 'Cache file or directory (default node_modules/.cache/ddlguard/)' },
};

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Parse `lint` arguments without yargs. Returns null when anything is unusual
 * (unknown option, --no-x, --help, a bad value): yargs then parses and reports.
 */
export async function fastParseLint(argv: string[]): Promise<Record<string, unknown> | null> {
  if (argv.some((a) => a === '--help' || a === '-h' || a.startsWith('--no-'))) return null;
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, spec] of Object.entries(LINT_OPTIONS)) {
    options[name] = { type: spec.type === 'boolean' ? 'boolean' : 'string' };
    if (spec.array) options[name]!.multiple = true;
    if (spec.alias && spec.alias.length === 1) options[name]!.short = spec.alias;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch {
    return null;
  }
  const out: Record<string, unknown> = { paths: parsed.positionals };
  for (const [name, value] of Object.entries(parsed.values)) {
    const spec = LINT_OPTIONS[name]!;
    if (spec.type === 'number') {
      const n = Number(value);
      if (value === '' || Number.isNaN(n)) return null;
      out[camel(name)] = n;
    } else {
      if (spec.choices && !spec.choices.includes(String(value))) return null;
      out[camel(name)] = value;
    }
  }
  return out;
}
