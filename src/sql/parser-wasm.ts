/**
 * Where libpg-query's WASM is, and its compile. Shared by the parser (parser.ts) and the bin's
 * launcher (src/cli/launcher.ts), which starts the compile before it loads the lint bundle, so
 * the compile overlaps loading the bundle, and hands the promise to loadParser under a
 * globalThis key. Its own module, so the launcher does not bundle the parser.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const PRECOMPILED_PARSER = '__ddlguardParserWasm';

/** The .wasm beside the module at `moduleUrl` (a bundle: the Action's dist/), else libpg-query's own. */
export function parserWasmPath(moduleUrl: string): string {
  const beside = fileURLToPath(new URL('./libpg-query.wasm', moduleUrl));
  if (existsSync(beside)) return beside;
  return createRequire(moduleUrl).resolve('libpg-query/wasm/libpg-query.wasm');
}

/** Compiles the parser's WASM on V8's background threads (the compiler's lib has no WebAssembly types). */
export function compileParserWasm(moduleUrl: string): Promise<object> {
  const wa = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<object> } }).WebAssembly;
  return wa.compile(readFileSync(parserWasmPath(moduleUrl)));
}
