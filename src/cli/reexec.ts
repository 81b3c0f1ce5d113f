/**
 * Imported first by the bin's launcher: on Node >= 24 the process re-execs with the parser's V8
 * flags (parser-flags.ts) before it loads the launcher's other modules, which the first process
 * would load for nothing (measured 0.96x wall time for one file on Node 24).
 */
import { reexecWithParserFlags } from './parser-flags.js';

reexecWithParserFlags(process.argv[2]);
