#!/usr/bin/env node
/**
 * ddlguard command line. Each command's module is loaded only when it runs, so
 * `ddlguard lint one.sql` never loads the database drivers.
 */
import { CliError, EXIT_USAGE } from './exit.js';

async function main(argv: string[]): Promise<number> {
  // Start compiling the parser's WASM and loading the lint modules while yargs loads:
  // `ddlguard lint one.sql` is latency-bound (pre-commit hooks, editors).
  const warm = argv[0] === 'lint' ? Promise.all([import('../sql/parser.js').then((m) => m.loadParser()), import('./commands/lint.js')]) : null;
  const { default: yargs } = await import('yargs');
  await warm;
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
      (y) =>
        y
          .positional('paths', { type: 'string', array: true, default: [] as string[] })
          .option('pg-version', { type: 'number', describe: 'PostgreSQL major version the migrations run on (default 15)' })
          .option('format', { alias: 'f', type: 'string', describe: 'tty | json | sarif | github | gitlab | junit | markdown' })
          .option('assume-in-transaction', { type: 'boolean', describe: 'Each file runs inside one transaction (default: per framework)' })
          .option('history', { type: 'string', array: true, describe: 'Files/globs that only inform the schema model' })
          .option('rule', { type: 'string', array: true, describe: 'Run only these rules' })
          .option('enable', { type: 'string', array: true, describe: 'Enable rules that are off by default' })
          .option('disable', { type: 'string', array: true, describe: 'Disable rules' })
          .option('severity-threshold', { type: 'string', choices: ['info', 'warning', 'error'], describe: 'Exit 1 when a finding is at or above this (default warning)' })
          .option('stdin-filepath', { type: 'string', describe: 'Path to report stdin input under' })
          .option('config', { type: 'string', describe: 'Config file (default: ddlguard.config.{json,yaml} found upwards)' })
          .option('exclude', { type: 'string', array: true, describe: 'Path globs to skip' })
          .option('include-down', { type: 'boolean', describe: 'Also lint down/rollback files' })
          .option('since', { type: 'string', describe: 'Lint only migrations changed since this git ref' })
          .option('base', { type: 'string', describe: 'Git ref of the released state (expand/contract awareness)' })
          .option('fix', { type: 'boolean', describe: 'Apply mechanical fixes in place' })
          .option('fix-dry-run', { type: 'boolean', describe: 'Print the fixes as a unified diff' })
          .option('color', { type: 'boolean', describe: 'Force colour on or off' }),
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

/** yargs drops a bare `-` positional; carry it through under a sentinel. */
export const STDIN_SENTINEL = '\u0000stdin';
const argv = process.argv.slice(2).map((a) => (a === '-' ? STDIN_SENTINEL : a));

main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`ddlguard: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    const e = err as Error;
    process.stderr.write(`ddlguard: internal error: ${e?.message ?? String(err)}\n`);
    if (process.env.DDLGUARD_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    process.exitCode = EXIT_USAGE;
  },
);
