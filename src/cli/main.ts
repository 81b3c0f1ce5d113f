#!/usr/bin/env node
/**
 * ddlguard command line. Each command's module is loaded only when it runs, so
 * `ddlguard lint one.sql` never loads the database drivers.
 */
import module from 'node:module';
import { durationToMs } from '../sql/duration.js';
import { CliError, cliArgv, failIfUnsettled, reportFailure, SLOW_LINT } from './exit.js';
import { applyRuntimeFlags } from './runtime-flags.js';

// Node >= 22.1 keeps V8's compiled code of the modules on disk (in the OS temp directory
// unless NODE_COMPILE_CACHE says otherwise; NODE_DISABLE_COMPILE_CACHE=1 turns it off), so
// later runs skip compiling them. Node 20 lacks it. It covers the modules loaded from here on.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
applyRuntimeFlags(process.argv[2]);
import { LINT_OPTIONS } from './lint-options.js';

/** `30s`, `500ms`, `2min`, or a bare number of milliseconds. */
function durationMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = durationToMs(value);
  if (ms === null) throw new CliError(`expected a duration such as 500ms, 30s or 2min, got "${value}"`);
  return ms;
}

async function main(argv: string[]): Promise<number> {
  // The launcher (launcher.ts) has taken the fast path already when it sets this.
  if (argv[0] === 'lint' && !(globalThis as { [SLOW_LINT]?: boolean })[SLOW_LINT]) {
    const code = await (await import('./lint-fast.js')).runFastLint(argv);
    // Pre-commit hooks and editors wait for the process to end: once stdout is flushed,
    // exit instead of letting the runtime wind down on its own.
    if (code !== null) process.exit(code);
  }
  const { default: yargs } = await import('yargs');
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = code;
  };
  const parser = yargs(argv)
    .scriptName('ddlguard')
    .usage('$0 <command> [options]')
    .command(
      'lint [paths..]',
      'Lint migration files (files, directories, globs; - for stdin)',
      (y) => {
        let b = y.positional('paths', { type: 'string', array: true, default: [] as string[] });
        for (const [name, spec] of Object.entries(LINT_OPTIONS)) b = b.option(name, { ...spec, ...(spec.choices ? { choices: [...spec.choices] } : {}) });
        return b;
      },
      async (args) => setExit(await (await import('./commands/lint.js')).runLint(args)),
    )
    .command(
      'rules',
      'List the rules',
      (y) => y.option('format', { type: 'string', choices: ['tty', 'json', 'markdown'] }),
      async (args) => setExit(await (await import('./commands/rules.js')).runRules(args)),
    )
    .command(
      'explain <rule>',
      'Explain a rule: the problem, a bad example and the safe alternative',
      (y) => y.positional('rule', { type: 'string', demandOption: true }),
      async (args) => setExit(await (await import('./commands/rules.js')).runExplain(args)),
    )
    .command(
      'plan [paths..]',
      'Rewrite risky DDL into online expand / migrate / contract steps',
      (y) =>
        y
          .positional('paths', { type: 'string', array: true, default: [] as string[] })
          .option('pg-version', { type: 'number', describe: 'PostgreSQL major version (default 15)' })
          .option('format', { type: 'string', choices: ['sql', 'json', 'markdown'], default: 'sql' })
          .option('output', { alias: 'o', type: 'string', describe: 'Write to this file instead of stdout' })
          .option('phase', { type: 'string', choices: ['expand', 'migrate', 'contract', 'all'], describe: 'Only this phase (default: all, in order)' })
          .option('history', { type: 'string', array: true, describe: 'Files/globs that only inform the schema model' })
          .option('db', { type: 'string', describe: 'Plan from this database: its schema (keys, column types, indexes), server version and table sizes (default DATABASE_URL, then config db; --no-db for none)' })
          .option('schema', { type: 'string', describe: 'Schema file: a snapshot from `ddlguard schema export` or `pg_dump --schema-only` output' })
          .option('small-table-rows', { type: 'number', describe: 'Tables with fewer rows (and under planner.smallTable.bytes) keep the simple form (default 10000)' })
          .option('config', { type: 'string', describe: 'Config file (default: ddlguard.config.{json,yaml} found upwards)' }),
      async (args) => setExit(await (await import('./commands/plan.js')).runPlan(args as never)),
    )
    .command(
      'apply [input..]',
      'Execute a plan (plan.json or migration files) with lock-timeout guards, batching and resume',
      (y) =>
        y
          .positional('input', { type: 'string', array: true, default: [] as string[] })
          .option('db', { type: 'string', describe: 'Database URL (default DATABASE_URL)' })
          .option('dry-run', { type: 'boolean', describe: 'Print what would run, touch nothing' })
          .option('phase', { type: 'string', choices: ['expand', 'migrate', 'contract', 'all'] })
          .option('yes', { type: 'boolean', describe: 'Confirm contract / irreversible steps with --phase all' })
          .option('format', { type: 'string', choices: ['text', 'json'] })
          .option('wait', { type: 'boolean', describe: 'Wait for another applier instead of exiting' })
          .option('kill-blockers-after', { type: 'string', describe: 'Terminate idle-in-transaction blockers after this long (e.g. 30s); off by default', coerce: durationMs })
          .option('lock-timeout-max', { type: 'string', describe: 'Largest lock_timeout the guard grows to (e.g. 5s)', coerce: durationMs })
          .option('statement-timeout', { type: 'string', describe: 'statement_timeout for guarded steps (e.g. 60s)', coerce: durationMs })
          .option('pg-version', { type: 'number', describe: 'PostgreSQL major, when planning migration files' })
          .option('history', { type: 'string', array: true, describe: 'Migrations already applied (when planning migration files)' })
          .option('allow-blocking', { type: 'string', array: true, describe: 'Run these step ids (or all) although they block the application on a table that is not small' })
          .option('config', { type: 'string', describe: 'Config file (default: ddlguard.config.{json,yaml} found upwards)' })
          .option('fleet', { type: 'string', describe: 'Fleet file (YAML or JSON): apply to every target it names, in waves with gates (docs/fleet.md)' })
          .option('control', { type: 'string', describe: 'With --fleet: the control database that records the run (default: the fleet file\'s control, else the first target\'s database)' })
          .option('run', { type: 'string', describe: 'With --fleet: the run id (default: the plan id; the same id resumes the run)' })
          .option('concurrency', { type: 'number', describe: 'With --fleet: targets applied at once by this process (default: the fleet file\'s concurrency)' })
          .option('detach', { type: 'boolean', describe: 'With --fleet: record the run and exit; `ddlguard fleet worker` processes apply it' })
          .option('verbose', { type: 'boolean', describe: 'With --fleet: print every target\'s apply log too' }),
      async (args) => setExit(await (await import('./commands/apply.js')).runApply(args as never)),
    )
    .command('fleet <action>', 'Fleet rollouts recorded in a control database: worker, status, continue, abort', (y) => {
      const common = <T>(z: import('yargs').Argv<T>) =>
        z
          .option('control', { type: 'string', describe: 'The control database URL' })
          .option('fleet', { type: 'string', describe: 'A fleet file, for its control database (and its target URLs)' })
          .option('run', { type: 'string', describe: 'The run id (default: the newest run)' })
          .option('format', { type: 'string', choices: ['text', 'json'] });
      return y
        .command(
          'worker',
          'Claim and apply targets of a run until it is done, paused, halted or aborted (start as many as you like, anywhere)',
          (z) =>
            common(z)
              .option('concurrency', { type: 'number', describe: 'Targets applied at once (default: the run\'s)' })
              .option('wait', { type: 'boolean', describe: 'Stay while the run is paused or halted, until it is continued, aborted or done' })
              .option('worker-id', { type: 'string', describe: 'Name of this worker in the records (default host:pid:random)' })
              .option('verbose', { type: 'boolean' }),
          async (args) => setExit(await (await import('./commands/fleet.js')).runFleetWorker(args as never)),
        )
        .command(
          'status',
          'A run per wave and per target: states, failures with their errors, time spent',
          (z) => common(z).option('all', { type: 'boolean', describe: 'List every target, however many' }),
          async (args) => setExit(await (await import('./commands/fleet.js')).runFleetStatus(args as never)),
        )
        .command(
          'continue',
          'Pass a pause or a fixed gate (failed targets are re-queued) and work on the run here',
          (z) =>
            common(z)
              .option('skip-gate', { type: 'boolean', describe: 'Pass a failed gate as it is (recorded on the wave)' })
              .option('detach', { type: 'boolean', describe: 'Only change the run; workers elsewhere do the work' })
              .option('concurrency', { type: 'number' })
              .option('wait', { type: 'boolean', describe: 'Stay while the run is paused or halted' })
              .option('verbose', { type: 'boolean' }),
          async (args) => setExit(await (await import('./commands/fleet.js')).runFleetContinue(args as never)),
        )
        .command(
          'abort',
          'Stop claiming new targets of a run (running ones finish, or stop with --stop-running)',
          (z) => common(z).option('stop-running', { type: 'boolean', describe: 'Also stop running targets after their current batch or step' }),
          async (args) => setExit(await (await import('./commands/fleet.js')).runFleetAbort(args as never)),
        )
        .demandCommand(1, 'Give an action: worker, status, continue or abort.');
    })
    .command(
      'rollback [input..]',
      'Undo the steps of a plan that ran on a database (or on a fleet run\'s targets, newest wave first), newest first, under the same lock guard (refuses once a step that cannot be undone has run)',
      (y) =>
        y
          .positional('input', { type: 'string', array: true, default: [] as string[] })
          .option('db', { type: 'string', describe: 'Database URL (default DATABASE_URL)' })
          .option('dry-run', { type: 'boolean', describe: 'Print what would be rolled back (reads the state with --db), touch nothing' })
          .option('to', { type: 'string', describe: 'Keep this step and the ones before it: undo only the steps after it' })
          .option('yes', { type: 'boolean', describe: 'Confirm rollbacks that drop data written since their step ran (a column or table the plan added)' })
          .option('format', { type: 'string', choices: ['text', 'json'] })
          .option('wait', { type: 'boolean', describe: 'Wait for another applier instead of exiting' })
          .option('kill-blockers-after', { type: 'string', describe: 'Terminate idle-in-transaction blockers after this long (e.g. 30s); off by default', coerce: durationMs })
          .option('lock-timeout-max', { type: 'string', describe: 'Largest lock_timeout the guard grows to (e.g. 5s)', coerce: durationMs })
          .option('statement-timeout', { type: 'string', describe: 'statement_timeout for guarded rollbacks (e.g. 60s)', coerce: durationMs })
          .option('pg-version', { type: 'number', describe: 'PostgreSQL major, when planning migration files' })
          .option('history', { type: 'string', array: true, describe: 'Migrations applied before the plan (when planning migration files)' })
          .option('config', { type: 'string', describe: 'Config file (default: ddlguard.config.{json,yaml} found upwards)' })
          .option('control', { type: 'string', describe: 'Roll back a fleet run recorded in this control database (with --run), wave by wave, newest first (docs/fleet.md)' })
          .option('run', { type: 'string', describe: 'The fleet run to roll back (default: the only run there, or the only one of the plan given)' })
          .option('fleet', { type: 'string', describe: 'A fleet file, for its control database (and its target URLs) instead of --control' })
          .option('wave', { type: 'string', array: true, describe: 'With a fleet run: roll back only these waves' })
          .option('targets', { type: 'string', array: true, describe: 'With a fleet run: roll back only these targets (names or globs)' })
          .option('exclude', { type: 'string', array: true, describe: 'With a fleet run: leave these targets out (names or globs)' })
          .option('concurrency', { type: 'number', describe: 'With a fleet run: targets rolled back at once by this process (default: the run\'s)' })
          .option('verbose', { type: 'boolean', describe: 'With a fleet run: print every target\'s rollback log too' }),
      async (args) => setExit(await (await import('./commands/rollback.js')).runRollback(args as never)),
    )
    .command(
      'status',
      'Show the progress of plans applied to a database',
      (y) => y.option('db', { type: 'string' }).option('plan', { type: 'string' }).option('format', { type: 'string', choices: ['text', 'json'] }),
      async (args) => setExit(await (await import('./commands/apply.js')).runStatus(args)),
    )
    .command(
      'abort',
      'Ask a running apply to stop after its current batch (or --reset a plan\'s progress)',
      (y) => y.option('db', { type: 'string' }).option('plan', { type: 'string' }).option('reset', { type: 'boolean' }).option('format', { type: 'string', choices: ['text', 'json'] }),
      async (args) => setExit(await (await import('./commands/apply.js')).runAbort(args)),
    )
    .command(
      'trace [paths..]',
      'Run migrations on an embedded PostgreSQL (PGlite) or --db and record the real locks, rewrites, scans and durations',
      (y) =>
        y
          .positional('paths', { type: 'string', array: true, default: [] as string[] })
          .option('db', { type: 'string', describe: 'Trace on this server instead of PGlite, in a scratch database trace creates and drops' })
          .option('format', { type: 'string', choices: ['tty', 'json', 'markdown'] })
          .option('history', { type: 'string', array: true, describe: 'Migrations applied first (committed, not traced)' })
          .option('seed-rows', { type: 'number', describe: 'Fill pre-existing tables with this many generated rows first' })
          .option('template', { type: 'string', describe: 'With --db: create the scratch database from this template database (nobody else may be connected to it) instead of an empty one' })
          .option('assume-in-transaction', { type: 'boolean', describe: 'Run every file in one transaction (--no-assume-in-transaction: every statement on its own) instead of as its framework does' })
          .option('single-transaction', { type: 'boolean', describe: 'The old mode: all files in one transaction, rolled back (a table created by an earlier file counts as new)' })
          .option('commit', { type: 'boolean', describe: 'Commit in the --db database itself, without a scratch database (with --single-transaction: commit the one transaction). Throwaway databases only' })
          .option('color', { type: 'boolean' })
          .epilogue(
            [
              'Each file runs as its migration framework runs it (the transaction decision lint makes): in one transaction for Flyway, dbmate, golang-migrate, Diesel and Prisma; statement by statement for plain SQL, as psql autocommits, with BEGIN ... COMMIT in the file honoured; statement by statement for a file with a statement that cannot run in a transaction (CREATE INDEX CONCURRENTLY ...). Each file is committed, so a table an earlier file created is pre-existing for a later one and its locks are reported.',
              'The files are committed into a scratch database that is thrown away at the end, also on failure and on SIGINT: an in-memory PGlite, or with --db a database trace creates on that server (empty, or from --template), applies --history and --seed-rows to, and drops.',
              'Per statement: the locks taken on pre-existing relations (exact inside a transaction; sampled from a second connection for a statement that runs outside one; not observable on PGlite), rewrites, scans ("scanned 2,000,000 rows of public.orders while holding SHARE ROW EXCLUSIVE", from pg_stat_get_xact_numscans and pg_stat_get_xact_tuples_returned before and after it; outside a transaction from the cumulative counters, PostgreSQL 15+ and PGlite), catalog changes, and the failure (SQLSTATE, message).',
            ].join('\n\n'),
          ),
      async (args) => setExit(await (await import('./commands/trace.js')).runTrace(args as never)),
    )
    .command(
      'rehearse [input..]',
      'Rehearse a plan on production-shaped scratch databases under a replayed workload and predict production\'s step durations',
      (y) =>
        y
          .positional('input', { type: 'string', array: true, default: [] as string[], describe: 'Migration files or a plan.json' })
          .option('db', { type: 'string', describe: 'Production: only its catalogs and statistics are read, never rows (default DATABASE_URL, then config db)' })
          .option('scale', { type: 'number', describe: 'Fraction of production\'s rows to generate (default 0.05; a second rehearsal runs at half of it)' })
          .option('rows', { type: 'number', describe: 'Rows of the largest touched table instead of --scale' })
          .option('scratch', { type: 'string', describe: 'A server where throwaway databases may be created and dropped (default: an embedded PostgreSQL of production\'s major)' })
          .option('naive', { type: 'boolean', describe: 'Also run the migration as written on a second copy' })
          .option('workload', { type: 'string', describe: 'A SQL file: the workload to run instead of the replayed traffic' })
          .option('max-stall', { type: 'string', describe: 'Exit 1 when the workload waited longer than this during any step (e.g. 1s)', coerce: durationMs })
          .option('format', { type: 'string', choices: ['markdown', 'html', 'json'], default: 'markdown' })
          .option('output', { alias: 'o', type: 'string', describe: 'Write to this file instead of stdout' })
          .option('pg-version', { type: 'number', describe: 'PostgreSQL major, when planning migration files' })
          .option('history', { type: 'string', array: true, describe: 'Migrations already applied (when planning migration files)' })
          .option('sample-ms', { type: 'number', hidden: true })
          .option('baseline-ms', { type: 'number', hidden: true })
          .option('config', { type: 'string', describe: 'Config file (default: ddlguard.config.{json,yaml} found upwards)' }),
      async (args) => setExit(await (await import('./commands/rehearse.js')).runRehearse(args as never)),
    )
    .command('verify <check>', 'Check the data: preflight (rows that would make a migration fail) or compare (two tables or databases)', (y) =>
      y
        .command(
          'preflight [paths..]',
          'Count the rows that would make each statement fail (NULLs, duplicates, orphans, CHECK violations, narrowing)',
          (z) =>
            z
              .positional('paths', { type: 'string', array: true, default: [] as string[] })
              .option('db', { type: 'string', describe: 'Database URL (default DATABASE_URL)' })
              .option('format', { type: 'string', choices: ['tty', 'json', 'markdown'] })
              .option('statement-timeout', { type: 'string', coerce: durationMs, describe: 'Per-query statement_timeout (e.g. 30s)' })
              .option('sample-rows', { type: 'number', describe: 'How many offending rows to show' }),
          async (args) => setExit(await (await import('./commands/verify.js')).runVerifyPreflight(args as never)),
        )
        .command(
          'compare',
          'Row counts and checksums between two tables/columns, in key-range chunks',
          (z) =>
            z
              .option('db', { type: 'string', describe: 'Source database URL (default DATABASE_URL)' })
              .option('target-db', { type: 'string', describe: 'Target database URL (default: the source database)' })
              .option('source', { type: 'string', demandOption: true, describe: 'table or table:col1,col2' })
              .option('target', { type: 'string', demandOption: true, describe: 'table or table:col1,col2' })
              .option('key', { type: 'string', describe: 'Integer key column (default: the primary key)' })
              .option('chunk-size', { type: 'number' })
              .option('format', { type: 'string', choices: ['tty', 'json', 'markdown'] }),
          async (args) => setExit(await (await import('./commands/verify.js')).runVerifyCompare(args as never)),
        )
        .demandCommand(1, 'Give a check: preflight or compare.'),
    )
    .command('schema <action>', 'The schema model as a file: export (from a database or a pg_dump file)', (y) =>
      y
        .command(
          'export',
          'Write the schema model as a snapshot (JSON) from --db or a pg_dump --schema-only file',
          (z) =>
            z
              .option('db', { type: 'string', describe: 'Database URL (default DATABASE_URL)' })
              .option('schema', { type: 'string', describe: 'A pg_dump --schema-only file to convert instead' })
              .option('output', { alias: 'o', type: 'string', describe: 'Write to this file instead of stdout' }),
          async (args) => setExit(await (await import('./commands/schema.js')).runSchemaExport(args)),
        )
        .demandCommand(1, 'Give an action: export.'),
    )
    .command(
      'lsp',
      'Language server for editors (LSP over stdio): lint diagnostics, quick fixes and lock hovers for .sql files',
      (y) =>
        y
          .option('stdio', { type: 'boolean', describe: 'Speak LSP over stdin/stdout (the only transport; editors pass it)' })
          .option('config', { type: 'string', describe: 'Config file for every document (default: ddlguard.config.{json,yaml} found upwards from each file)' })
          .option('db', { type: 'string', describe: 'Live database: its schema and table sizes (default DATABASE_URL, then config db; --no-db for none)' })
          .option('schema', { type: 'string', describe: 'Schema file: a snapshot from `ddlguard schema export` or `pg_dump --schema-only` output' })
          .option('pg-version', { type: 'number', describe: 'PostgreSQL major version the migrations run on' })
          .option('clientProcessId', { type: 'number', hidden: true, describe: 'Exit when this process ends (vscode-languageclient passes it)' }),
      async (args) => setExit(await (await import('../lsp/index.js')).runLsp(args as never)),
    )
    .command(
      'init',
      'Detect the migration layout and write a starter ddlguard.config.json',
      (y) =>
        y
          .option('force', { type: 'boolean', describe: 'Overwrite an existing config' })
          .option('dir', { type: 'string', describe: 'The migrations directory (default: detected)' })
          .option('pg-version', { type: 'number', describe: 'PostgreSQL major version in production (default 15)' })
          .option('baseline', { type: 'boolean', default: true, describe: 'Record the migrations that exist now as released, so lint shows only new ones (--no-baseline: lint them all)' }),
      async (args) => setExit(await (await import('./commands/init.js')).runInit(args)),
    )
    .command(
      'baseline [paths..]',
      'Record the migrations that exist now as released (history for lint from now on; `lint --all` lints them)',
      (y) =>
        y
          .positional('paths', { type: 'string', array: true, default: [] as string[], describe: 'Migration directories (default: the config\'s migrations)' })
          .option('upto', { type: 'string', describe: 'The last released migration (a file, or a Diesel/Prisma migration folder); later ones stay new' })
          .option('dry-run', { type: 'boolean', describe: 'Print the baseline, write nothing' })
          .option('config', { type: 'string', describe: 'Config file (default: ddlguard.config.{json,yaml} found upwards)' }),
      async (args) => setExit(await (await import('./commands/baseline.js')).runBaseline(args)),
    )
    .command(
      'install-hook',
      'Install a git pre-commit hook that lints staged .sql files',
      (y) => y.option('force', { type: 'boolean' }).option('args', { type: 'string', array: true, describe: 'Extra lint arguments for the hook' }),
      async (args) => setExit(await (await import('./commands/install-hook.js')).runInstallHook(args)),
    )
    .command(
      'gen-docs',
      false,
      (y) => y.option('out', { type: 'string', default: 'docs/rules' }),
      async (args) => setExit(await (await import('./commands/docs.js')).runGenDocs(args)),
    )
    .demandCommand(1, 'Give a command, e.g. `ddlguard lint migrations/`.')
    .strict()
    .help()
    .version(false)
    .option('version', { type: 'boolean', describe: 'Show the version' })
    .fail((msg, err) => {
      if (err) throw err;
      throw new CliError(msg ?? 'invalid arguments');
    });
  await parser.parseAsync();
  return exitCode;
}

const run = main(cliArgv()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportFailure(err);
  },
);
failIfUnsettled(run);
