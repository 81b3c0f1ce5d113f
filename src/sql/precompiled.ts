/**
 * A globalThis key: the bin's launcher (src/cli/launcher.ts) starts compiling the parser's WASM
 * under it before it loads the lint bundle, so the compile overlaps loading the bundle, and
 * loadParser (parser.ts) takes the compiled module from there. Its own module, so the launcher
 * does not bundle the parser.
 */
export const PRECOMPILED_PARSER = '__ddlguardParserWasm';
