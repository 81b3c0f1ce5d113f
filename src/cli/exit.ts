/** Exit codes: 0 clean, 1 findings at or above the threshold, 2 usage, config or parse errors. */
export const EXIT_CLEAN = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

/** An error the user caused (bad flag, missing file, bad config): printed without a stack. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = EXIT_USAGE) {
    super(message);
  }
}

/** yargs drops a bare `-` positional; it is carried through under this sentinel. */
export const STDIN_SENTINEL = '\u0000stdin';

/** The command line after `node <bin>`, with `-` (stdin) as STDIN_SENTINEL. */
export function cliArgv(): string[] {
  return process.argv.slice(2).map((a) => (a === '-' ? STDIN_SENTINEL : a));
}

/** Prints a failed run's error (a CliError as its message, anything else as an internal error) and returns the exit code. */
export function reportFailure(err: unknown): number {
  if (err instanceof CliError) {
    process.stderr.write(`ddlguard: ${err.message}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`ddlguard: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.DDLGUARD_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  return EXIT_USAGE;
}

/**
 * Exits 2 if the event loop drains before `run` settles. A promise that never settles (a
 * WebAssembly compile V8 never finishes, say) would otherwise end the process with exit 0: a
 * clean lint that never ran.
 */
export function failIfUnsettled(run: Promise<unknown>): void {
  let settled = false;
  // finally, not catch: a rejection stays unhandled, and Node reports it as it did before.
  void run.finally(() => (settled = true));
  process.once('beforeExit', () => {
    if (settled) return;
    process.stderr.write('ddlguard: internal error: the command stopped before it finished\n');
    process.exitCode = EXIT_USAGE;
  });
}

/** Set on globalThis by the launcher when `lint` needs yargs after all: main.ts then skips its own fast path. */
export const SLOW_LINT = '__ddlguardSlowLint';
