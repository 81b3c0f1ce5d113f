/**
 * dist/bin/libpg-query.wasm (scripts/parser-wasm.mjs, built by `npm run build`) is the
 * package's WebAssembly with a smaller initial memory and a compilationHints section. Its code
 * must be the package's byte for byte, its memory must hold the stack and grow past its
 * initial size, and under the CLI's V8 flags (which read the hints on Node 20 and 22) it must
 * parse to the trees the package's own module gives.
 */
import fg from 'fast-glob';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { beforeAll, describe, expect, it } from 'vitest';
import { parserFlags } from '../../src/cli/parser-flags.js';
import { loadParser, parseRaw } from '../../src/sql/parser.js';
// @ts-expect-error the build script is plain JavaScript
import { describe as describeWasm, EAGER_LIFTOFF, HEAP_HEADROOM, HINTS_SECTION, sections } from '../../scripts/parser-wasm.mjs';

const ROOT = path.resolve(__dirname, '../..');
const require = createRequire(path.join(ROOT, 'package.json'));
const BUILT = path.join(ROOT, 'dist/bin/libpg-query.wasm');
const PACKAGE = require.resolve('libpg-query/wasm/libpg-query.wasm');
const PAGE = 65536;

interface Section {
  id: number;
  name: string | null;
  start: number;
  end: number;
}

const built = readFileSync(BUILT);
const original = readFileSync(PACKAGE);

describe('the CLI copy of the parser WebAssembly', () => {
  it('has the package code, imports, exports and data, byte for byte', () => {
    const kept = (buf: Buffer) =>
      (sections(buf) as Section[]).filter((s) => s.id !== 5 && !(s.id === 0 && s.name === HINTS_SECTION)).map((s) => buf.subarray(s.start, s.end).toString('hex'));
    const ours = kept(built);
    expect(ours.length).toBeGreaterThan(8);
    expect(ours).toEqual(kept(original));
  });

  it('starts with memory for the stack plus the heap headroom, grows to the same maximum', () => {
    const b = describeWasm(built);
    const o = describeWasm(original);
    expect(b.stackTop).toBe(o.stackTop);
    expect(b.memory.initialPages * PAGE).toBeGreaterThanOrEqual(b.stackTop + HEAP_HEADROOM);
    expect(b.memory.initialPages * PAGE).toBeLessThan(b.stackTop + HEAP_HEADROOM + PAGE);
    expect(b.memory.initialPages).toBeLessThan(o.memory.initialPages);
    expect(b.memory.maximumPages).toBe(o.memory.maximumPages);
  });

  it('hints one byte a declared function, eager Liftoff for the functions the training lint ran', () => {
    const b = describeWasm(built);
    expect(b.hints).not.toBeNull();
    expect(b.hints.length).toBe(b.declaredFunctions);
    const eager = [...(b.hints as Buffer)].filter((h) => h === EAGER_LIFTOFF).length;
    expect([...(b.hints as Buffer)].every((h) => h === 0 || h === EAGER_LIFTOFF)).toBe(true);
    // The parser, its JSON output and PL/pgSQL's: tens of functions, not the module's 526.
    expect(eager).toBeGreaterThan(20);
    expect(eager).toBeLessThan(b.declaredFunctions / 2);
  });
});

// The few WebAssembly JS API names used here (the compiler's lib has no WebAssembly types).
interface WasmMemory {
  buffer: ArrayBuffer;
}
interface WasmInstance {
  exports: Record<string, unknown>;
}
const WA = (globalThis as unknown as {
  WebAssembly: {
    compile(bytes: Uint8Array): Promise<object>;
    Instance: new (module: object, imports: object) => WasmInstance;
    Memory: new (...args: never[]) => WasmMemory;
  };
}).WebAssembly;

interface Wasm {
  _malloc(n: number): number;
  _free(p: number): void;
  _wasm_parse_query_raw(p: number): number;
  _wasm_free_parse_result(p: number): void;
}

/**
 * The built module under the CLI's V8 flags for this Node (on Node 20 and 22 the hints are
 * honoured), instantiated through libpg-query's loader as parser.ts does.
 */
async function instantiateBuilt(): Promise<{ wasm: Wasm; memory: WasmMemory }> {
  for (const flag of parserFlags()) setFlagsFromString(flag);
  const module = await WA.compile(built);
  let memory!: WasmMemory;
  const factory = require('libpg-query/wasm/libpg-query.js') as (o: object) => Promise<Wasm>;
  const wasm = await factory({
    noFSInit: true,
    instantiateWasm(imports: object, done: (i: WasmInstance, m: object) => void) {
      const instance = new WA.Instance(module, imports);
      memory = Object.values(instance.exports).find((e): e is WasmMemory => e instanceof WA.Memory)!;
      done(instance, module);
      return {};
    },
  });
  return { wasm, memory };
}

function parseWith({ wasm, memory }: { wasm: Wasm; memory: WasmMemory }, sql: string): unknown {
  const bytes = new TextEncoder().encode(`${sql}\0`);
  const input = wasm._malloc(bytes.length);
  new Uint8Array(memory.buffer).set(bytes, input);
  const result = wasm._wasm_parse_query_raw(input);
  try {
    const words = new Int32Array(memory.buffer);
    const [tree, , error] = [words[result >> 2]!, words[(result + 4) >> 2]!, words[(result + 8) >> 2]!];
    const heap = new Uint8Array(memory.buffer);
    const text = (p: number) => new TextDecoder().decode(heap.subarray(p, heap.indexOf(0, p)));
    return error ? { error: text(words[error >> 2]!) } : JSON.parse(text(tree));
  } finally {
    wasm._free(input);
    wasm._wasm_free_parse_result(result);
  }
}

function packageParse(sql: string): unknown {
  try {
    return parseRaw(sql);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe('the CLI copy parses as the package does', () => {
  beforeAll(() => loadParser());

  it('on every fixture, an error, and an input that grows memory past its initial size', async () => {
    const ours = await instantiateBuilt();
    const initial = ours.memory.buffer.byteLength;
    expect(initial).toBe(describeWasm(built).memory.initialPages * PAGE);
    const files = fg.sync(['fixtures/**/*.sql'], { cwd: ROOT, absolute: true }).sort();
    expect(files.length).toBeGreaterThan(50);
    const big = Array.from({ length: 3000 }, (_, i) => `ALTER TABLE t${i} ADD COLUMN c${i} text DEFAULT 'värde ${i}' CHECK (c${i} <> '');`).join('\n');
    for (const sql of [...files.map((f) => readFileSync(f, 'utf8')), 'ALTER TABLE x ADD COLUMNN y int;', big]) {
      expect(parseWith(ours, sql)).toEqual(packageParse(sql));
    }
    expect(ours.memory.buffer.byteLength).toBeGreaterThan(initial);
  });
});
