/**
 * `ddlguard lint` without yargs, the latency-bound path (pre-commit hooks, editors). main.ts
 * takes it, and the bin's launcher runs it from a bundle of its own with a V8 code cache
 * (dist/bin/lint-fast.cjs, see launcher.ts).
 */
import { fastParseLint } from './lint-options.js';

export { reportFailure } from './exit.js';

/** Runs `lint` and returns its exit code once stdout is flushed; null when the arguments need yargs. */
export async function runFastLint(argv: string[]): Promise<number | null> {
  // Start compiling the parser's WASM and loading the lint modules while the arguments are read.
  // With --cache a rerun may parse nothing: the parser then loads only when a file needs it.
  const parser = argv.includes('--cache') ? null : import('../sql/parser.js').then((m) => m.loadParser());
  const warm = Promise.all([parser, import('./commands/lint.js')]);
  const fast = await fastParseLint(argv.slice(1));
  if (!fast) {
    warm.catch(() => undefined);
    return null;
  }
  const [, cmd] = await warm;
  const code = await cmd.runLint(fast);
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  return code;
}
