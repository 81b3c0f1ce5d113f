/**
 * V8 flags for a CLI run, set before the parser's WASM and the lint modules compile. Shared by
 * the bin's launcher (dist/bin/ddlguard.cjs) and main.ts (which also runs on its own).
 */
import { setFlagsFromString } from 'node:v8';
import { parserFlags } from './parser-flags.js';

/**
 * The parser's flags (parser-flags.ts), for every command but the language server; and for lint,
 * --no-opt: a lint run's JavaScript is warm for a few hundred milliseconds, and TurboFan
 * compiling it (on the second core, competing with the GC) costs more than it gives back:
 * measured 0.74x CPU on 342 files. Runs over many files re-enable it (commands/lint.ts).
 */
export function applyRuntimeFlags(command: string | undefined): void {
  if (command !== 'lsp') {
    for (const flag of parserFlags()) setFlagsFromString(flag);
  }
  if (command === 'lint') setFlagsFromString('--no-opt');
}
