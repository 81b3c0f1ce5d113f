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
