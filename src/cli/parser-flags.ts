/**
 * The V8 flags a CLI run sets before the parser's WebAssembly compiles, by Node version. Apart
 * from runtime-flags.ts (which sets them) so the Action's child processes get the same on their
 * command line (action.ts).
 */
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** No function has this index, so V8 tiers none up (`--wasm-tier-up-filter`: only the one given). */
const NO_FUNCTION = 2 ** 31 - 1;

/**
 * The parser is WASM. A CLI run is short: V8's optimising tier-up (TurboFan) of the parser costs
 * more than it returns (its yacc parser is one 100 KB function: 0.4 s and 600 MiB to optimise,
 * and the process waits for it at exit), while its baseline compiler (Liftoff) compiles fast
 * enough: measured about 30 ms less for one file and 12% less for 1,000. The language server is
 * the exception: it runs for hours, so the tier-up pays for itself.
 *
 * Node 20 and 22: `--liftoff-only`, and two more for the start-up of dist/bin/libpg-query.wasm
 * (scripts/parser-wasm.mjs): V8 reads its compilation hints, so the functions a lint run calls
 * compile on a background thread while the lint bundle loads, instead of one by one on the main
 * thread at their first call; and it validates the other functions when they are first called,
 * not all 526 before the module is ready (the code is the libpg-query package's own). Measured
 * 0.92x wall time for one file on Node 20 with the launcher's yield (alternating runs; with the
 * smaller initial memory, 0.88x).
 *
 * Node 24 and later (V8 13+): `--liftoff-only` set at run time no longer takes effect (V8 applies
 * what it implies when it starts), nor does `--no-wasm-tier-up`, and a larger
 * `--wasm-tiering-budget` spares one file but not ten. `--wasm-tier-up-filter`, which V8 reads
 * each time a function would tier up, does: naming no function, it keeps every one on Liftoff
 * (measured on Node 24.22 and 26.12 over Lemmy's 342 migrations: no TurboFan compile, 0.3 s and
 * 110 MiB). The process used to re-exec with --liftoff-only on its command line instead, a
 * second Node start: one file took 1.46x longer. The hints are left out there: V8 13 never
 * finishes compiling a module with them, and V8 14 reads hints in a newer format only. The CLI
 * tests run under Node 20, 22, 24 and 26 (scripts/test-node-versions.sh).
 */
export function parserFlags(): string[] {
  if (NODE_MAJOR === 20 || NODE_MAJOR === 22) return ['--liftoff-only', '--experimental-wasm-compilation-hints', '--wasm-lazy-validation'];
  if (NODE_MAJOR < 24) return ['--liftoff-only'];
  return [`--wasm-tier-up-filter=${NO_FUNCTION}`];
}
