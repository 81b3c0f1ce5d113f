/**
 * The V8 flags a CLI run needs before the parser's WebAssembly compiles, and, on Node >= 24,
 * where V8 freezes its flags at start, the re-exec that puts them on the command line. Apart
 * from runtime-flags.ts (which also sets them) so the bin's launcher can re-exec first, before
 * it loads anything (src/cli/reexec.ts).
 */
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/**
 * The parser is WASM. A CLI run is short: V8's optimising tier-up (TurboFan) of the parser costs
 * more than it returns, while its baseline compiler (Liftoff) compiles fast enough: measured
 * about 30 ms less for one file and 12% less for 1,000. The language server is the exception:
 * it runs for hours, so the tier-up pays for itself.
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
 * From Node 24 (V8 13) `--liftoff-only` set at run time no longer takes effect (V8 applies what
 * it implies when it starts), and the tier-up of the parser's 100 KB yacc function then costs
 * 0.4-0.8 s and 550 MiB for one file, the process waiting for it at exit (measured on Node 24.22
 * and 26.12: 1.27 s / 613 MiB against 0.45 s / 76 MiB with --liftoff-only). A larger
 * --wasm-tiering-budget, which V8 does read at run time, spares one file but not ten. So the
 * process replaces itself once with the flags on its command line (process.execve: same pid,
 * stdio and signals); returns only when no re-exec is needed.
 */
export function reexecWithParserFlags(command: string | undefined): void {
  if (command === 'lsp' || NODE_MAJOR < 24) return;
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  const missing = parserFlags().filter((f) => !process.execArgv.includes(f));
  if (execve && missing.length) execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env);
}
