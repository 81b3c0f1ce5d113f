/**
 * V8 flags for a CLI run, set before the parser's WASM and the lint modules compile. Shared by
 * the bin's launcher (dist/bin/ddlguard.cjs) and main.ts (which also runs on its own).
 */
import { setFlagsFromString } from 'node:v8';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

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
 * On Node 20 and 22 two more, for the start-up of dist/bin/libpg-query.wasm
 * (scripts/parser-wasm.mjs): V8 reads its compilation hints, so the functions a lint run calls
 * compile on a background thread while the lint bundle loads, instead of one by one on the main
 * thread at their first call; and it validates the other functions when they are first called,
 * not all 526 before the module is ready (the code is the libpg-query package's own). Measured
 * 0.88x wall time for one file on Node 20 (bench/speed.ts). Not on later Nodes: V8 13 (Node 24)
 * never finishes compiling a module with these hints, and V8 14 (Node 26) reads hints in the
 * newer format only. The CLI tests run under Node 20, 22, 24 and 26 (scripts/test-node-versions.sh).
 */
export function parserFlags(): string[] {
  return NODE_MAJOR === 20 || NODE_MAJOR === 22 ? ['--liftoff-only', '--experimental-wasm-compilation-hints', '--wasm-lazy-validation'] : ['--liftoff-only'];
}

/**
 * And for lint, --no-opt: as with the parser, a lint run's JavaScript is warm for a few hundred milliseconds,
 * and TurboFan compiling it (on the second core, competing with the GC) costs more than it gives
 * back: measured 0.74x CPU on 342 files. Runs over many files re-enable it (commands/lint.ts).
 */
export function applyRuntimeFlags(command: string | undefined): void {
  if (command !== 'lsp') {
    const flags = parserFlags();
    const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
    const missing = flags.filter((f) => !process.execArgv.includes(f));
    if (NODE_MAJOR >= 24 && execve && missing.length) {
      execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env);
    }
    for (const flag of flags) setFlagsFromString(flag);
  }
  if (command === 'lint') setFlagsFromString('--no-opt');
}
