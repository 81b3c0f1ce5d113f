/**
 * V8 flags for a CLI run, set before the parser's WASM and the lint modules compile. Shared by
 * the bin's launcher (dist/bin/ddlguard.cjs) and main.ts (which also runs on its own).
 */
import { setFlagsFromString } from 'node:v8';

/**
 * The parser is WASM. A CLI run is short: V8's optimising tier-up (TurboFan) of the parser costs
 * more than it returns, while its baseline compiler (Liftoff) compiles fast enough: measured
 * about 30 ms less for one file and 12% less for 1,000. The language server is the exception:
 * it runs for hours, so the tier-up pays for itself.
 * From Node 24 (V8 13) the flags are frozen once V8 starts, so setting them here does nothing, and
 * the tier-up of the parser then costs 0.8 s and 550 MiB for one file (measured on Node 24.22 and
 * 26.12: 1.27 s / 613 MiB against 0.45 s / 76 MiB with --liftoff-only). There the process replaces
 * itself once with the flag on its command line (process.execve: same pid, stdio and signals).
 *
 * The same holds for the JavaScript: a lint run's code is warm for a few hundred milliseconds,
 * and TurboFan compiling it (on the second core, competing with the GC) costs more than it gives
 * back: measured 0.74x CPU on 342 files. Runs over many files re-enable it (commands/lint.ts).
 */
export function applyRuntimeFlags(command: string | undefined): void {
  const frozenFlags = Number(process.versions.node.split('.')[0]) >= 24;
  if (command !== 'lsp') {
    const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
    if (frozenFlags && execve && !process.execArgv.includes('--liftoff-only')) {
      execve(process.execPath, [process.execPath, '--liftoff-only', ...process.execArgv, ...process.argv.slice(1)], process.env);
    }
    setFlagsFromString('--liftoff-only');
  }
  if (command === 'lint') setFlagsFromString('--no-opt');
}
