/**
 * The one doorway to libpg-query (the real PostgreSQL parser, compiled to WASM).
 * The module must be loaded once before the synchronous calls are used.
 */
import { createRequire } from 'node:module';
import { compileParserWasm, PRECOMPILED_PARSER } from './parser-wasm.js';

// libpg-query's own entry points are not used: its ES module form makes Node run the CommonJS
// lexer over the 61 KB Emscripten loader (~10 ms) and starts an asynchronous compile of the
// WebAssembly at import, and its string copies in and out of WASM memory are byte-at-a-time
// JavaScript loops (a fifth of a large corpus's lint time). The loader is required directly
// and given the compiled module to instantiate at once, and strings cross with
// TextEncoder.encodeInto / TextDecoder.
interface PgQueryWasm {
  _malloc(n: number): number;
  _free(p: number): void;
  _wasm_parse_query_raw(p: number): number;
  _wasm_free_parse_result(p: number): void;
  _wasm_parse_plpgsql(p: number): number;
  _wasm_scan(p: number): number;
  _wasm_free_string(p: number): void;
}

// The few WebAssembly JS API names used here (the compiler's lib has no WebAssembly types).
interface WasmMemory {
  buffer: ArrayBuffer;
}
interface WasmInstance {
  exports: Record<string, unknown>;
}
interface WasmApi {
  Instance: new (module: object, imports: object) => WasmInstance;
  Memory: new (...args: never[]) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

type Factory = (opts: { noFSInit: boolean; instantiateWasm: (imports: object, done: (i: WasmInstance, m: object) => void) => object }) => Promise<PgQueryWasm>;

let wasm: PgQueryWasm;
let memory: WasmMemory;
let heap = new Uint8Array(0);
let words = new Int32Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let loaded: Promise<void> | null = null;
let ready = false;

export function loadParser(): Promise<void> {
  if (!loaded) {
    loaded = (async () => {
      // Compiled off the main thread, while the caller goes on loading modules; the bin's
      // launcher may have started it already (PRECOMPILED_PARSER).
      const early = (globalThis as { [PRECOMPILED_PARSER]?: Promise<object> })[PRECOMPILED_PARSER];
      const compileHere = () => compileParserWasm(import.meta.url);
      const compiled = early ? early.catch(compileHere) : compileHere();
      // In this literal form: the Action's build turns it into a require() that esbuild bundles.
      const factory = createRequire(import.meta.url)('libpg-query/wasm/libpg-query.js') as Factory;
      const module = await compiled;
      wasm = await factory({
        // The parser does no file or terminal I/O; Emscripten's stdio devices cost ~7 ms to set up.
        noFSInit: true,
        instantiateWasm(imports, done) {
          const instance = new WA.Instance(module, imports);
          memory = Object.values(instance.exports).find((e): e is WasmMemory => e instanceof WA.Memory)!;
          done(instance, module);
          return {};
        },
      });
      ready = true;
    })();
  }
  return loaded;
}

/** Views of WASM memory, renewed when the memory has grown (growing detaches the old buffer). */
function views(): void {
  if (heap.buffer !== memory.buffer) {
    heap = new Uint8Array(memory.buffer);
    words = new Int32Array(memory.buffer);
  }
}

/** Copies a string into WASM memory as NUL-terminated UTF-8; the caller frees it. */
function toWasm(str: string): number {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const cap = str.length * 3 + 1;
  const ptr = wasm._malloc(cap);
  views();
  const { written } = encoder.encodeInto(str, heap.subarray(ptr, ptr + cap - 1));
  heap[ptr + written] = 0;
  return ptr;
}

function fromWasm(ptr: number): string {
  views();
  return decoder.decode(heap.subarray(ptr, heap.indexOf(0, ptr)));
}

function word(ptr: number): number {
  views();
  return words[ptr >> 2]!;
}

/** A parse error as libpg-query reports it: PostgreSQL's message and its 0-based cursor. */
export class SqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly cursorPosition: number,
  ) {
    super(message);
  }
}

/** Runs a libpg-query call returning a string (freed here). */
function callForString(fn: (p: number) => number, sql: string): string {
  const input = toWasm(sql);
  let out = 0;
  try {
    out = fn(input);
    return fromWasm(out);
  } finally {
    wasm._free(input);
    if (out) wasm._wasm_free_string(out);
  }
}

/** Thrown by the synchronous calls before loadParser() resolved (see withParser). */
export class ParserNotLoaded extends Error {
  constructor() {
    super('internal: the SQL parser is used before loadParser() resolved');
  }
}

function assertReady(): void {
  if (!ready) throw new ParserNotLoaded();
}

export function parserReady(): boolean {
  return ready;
}

/**
 * Runs fn, loading the parser first only if fn turns out to need it: for work that usually does
 * not (framework detection scans only some files), so a run that never parses never pays for
 * loading the WASM module (a --cache rerun).
 */
export async function withParser<T>(fn: () => T): Promise<T> {
  if (ready) return fn();
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof ParserNotLoaded)) throw e;
    await loadParser();
    return fn();
  }
}

export interface RawParseResult {
  version: number;
  stmts: Array<{ stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }>;
}

export interface RawParseError {
  message: string;
  /** 0-based code point offset into the input, when the parser knows it. */
  cursor: number | null;
}

export function parseRaw(sql: string): RawParseResult {
  assertReady();
  if (sql === null || sql === undefined) throw new Error('Query cannot be null or undefined');
  if (sql === '') throw new Error('Query cannot be empty');
  const input = toWasm(sql);
  let result = 0;
  try {
    result = wasm._wasm_parse_query_raw(input);
    if (!result) throw new Error('Failed to parse query: memory allocation failed');
    // struct PgQueryParseResult { char *parse_tree; char *stderr_buffer; PgQueryError *error; }
    const tree = word(result);
    const error = word(result + 8);
    if (error) {
      // struct PgQueryError { char *message; char *funcname; char *filename; int lineno; int cursorpos; }
      const messagePtr = word(error);
      const cursor = word(error + 16);
      throw new SqlSyntaxError(messagePtr ? fromWasm(messagePtr) : 'Unknown error', cursor > 0 ? cursor - 1 : 0);
    }
    if (!tree) throw new Error('No parse tree generated');
    return JSON.parse(fromWasm(tree)) as RawParseResult;
  } finally {
    wasm._free(input);
    if (result) wasm._wasm_free_parse_result(result);
  }
}

export function parsePlpgsqlRaw(sql: string): unknown {
  assertReady();
  const out = callForString((p) => wasm._wasm_parse_plpgsql(p), sql);
  // Success is always a JSON object; anything else is an error message.
  if (!out.startsWith('{')) throw new Error(out);
  return JSON.parse(out);
}

export interface RawToken {
  start: number;
  end: number;
  text: string;
  tokenName: string;
  keywordKind: number;
}

export function scanRaw(sql: string): RawToken[] {
  assertReady();
  const out = callForString((p) => wasm._wasm_scan(p), sql);
  if (out.startsWith('syntax error') || out.startsWith('deparse error') || out.startsWith('ERROR')) throw new Error(out);
  return (JSON.parse(out) as { tokens: RawToken[] }).tokens;
}

export function toParseError(e: unknown): RawParseError {
  if (e instanceof SqlSyntaxError) return { message: e.message, cursor: e.cursorPosition >= 0 ? e.cursorPosition : null };
  return { message: e instanceof Error ? e.message : String(e), cursor: null };
}

/** keywordKind values from the PostgreSQL scanner. */
export const KEYWORD_UNRESERVED = 1;
