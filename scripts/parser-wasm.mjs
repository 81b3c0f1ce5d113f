/**
 * The CLI's copy of libpg-query's WebAssembly (dist/bin/libpg-query.wasm, found by
 * src/sql/parser-wasm.ts before the package's own). The code is the package's, byte for byte;
 * two things around it change, both for a one-file lint's start-up (bench/speed.ts):
 *
 * 1. Initial memory. libpg-query declares 128 MiB. A WebAssembly.Memory that large counts as
 *    external memory to V8, and at instantiation it forces a full garbage collection (about
 *    5 ms of a 90 ms run). The copy starts at its stack's top plus HEAP_HEADROOM and grows
 *    from there as the package's does (its loader's emscripten_resize_heap, up to 1 GiB).
 * 2. A compilationHints section (V8's, read under --experimental-wasm-compilation-hints, which
 *    src/cli/runtime-flags.ts sets for the CLI; without the flag, or on V8s that read the newer
 *    format, it is an unknown custom section and ignored). It marks eager the functions a lint
 *    run calls (found by running the bin over a training migration with V8's compile trace), so
 *    V8 compiles them on a background thread while the lint bundle loads, where otherwise each
 *    compiles on the main thread at its first call (about 10 ms).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const PAGE = 65536;
/** Heap above the stack before the first grow: a one-file parse allocates well under 1 MiB. */
export const HEAP_HEADROOM = 8 * 1024 * 1024;
export const HINTS_SECTION = 'compilationHints';
// One byte a function: strategy (bits 0-1; 2 = eager), baseline tier (bits 2-3; 1 = Liftoff),
// top tier (bits 4-5; 0 = the engine's default, so the language server, which runs without
// --liftoff-only, still tiers these up).
export const EAGER_LIFTOFF = 2 | (1 << 2);

function readU32(buf, at) {
  let value = 0;
  let shift = 0;
  let p = at;
  for (;;) {
    const byte = buf[p++];
    value += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return { value, next: p };
    shift += 7;
  }
}

function readI32(buf, at) {
  let value = 0;
  let shift = 0;
  let p = at;
  let byte;
  do {
    byte = buf[p++];
    value |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  if (shift < 32 && byte & 0x40) value |= -1 << shift;
  return { value, next: p };
}

function u32(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return Buffer.from(out);
}

/** The module's sections in order: id, the whole section's byte range, its payload's start. */
export function sections(buf) {
  if (buf.readUInt32LE(0) !== 0x6d736100 || buf.readUInt32LE(4) !== 1) throw new Error('not a WebAssembly module (version 1)');
  const out = [];
  let p = 8;
  while (p < buf.length) {
    const start = p;
    const id = buf[p++];
    const size = readU32(buf, p);
    const payload = size.next;
    p = payload + size.value;
    let name = null;
    if (id === 0) {
      const len = readU32(buf, payload);
      name = buf.toString('utf8', len.next, len.next + len.value);
    }
    out.push({ id, name, start, end: p, payload });
  }
  return out;
}

/** What the changes depend on: imported and declared function counts, memory limits, the stack's top. */
export function describe(buf) {
  const secs = sections(buf);
  const info = { importedFunctions: 0, declaredFunctions: 0, memory: null, stackTop: null, hints: null };
  for (const s of secs) {
    if (s.id === 2) {
      let { value: n, next: p } = readU32(buf, s.payload);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < 2; k++) {
          const len = readU32(buf, p);
          p = len.next + len.value;
        }
        const kind = buf[p++];
        if (kind === 0) {
          info.importedFunctions++;
          p = readU32(buf, p).next;
        } else if (kind === 1) {
          p++; // reftype
          const flags = buf[p++];
          p = readU32(buf, p).next;
          if (flags & 1) p = readU32(buf, p).next;
        } else if (kind === 2) {
          const flags = buf[p++];
          p = readU32(buf, p).next;
          if (flags & 1) p = readU32(buf, p).next;
        } else if (kind === 3) {
          p += 2;
        } else {
          throw new Error(`import kind ${kind} is not understood`);
        }
      }
    } else if (s.id === 3) {
      info.declaredFunctions = readU32(buf, s.payload).value;
    } else if (s.id === 5) {
      const count = readU32(buf, s.payload);
      if (count.value !== 1) throw new Error(`expected one memory, found ${count.value}`);
      const flags = buf[count.next];
      const min = readU32(buf, count.next + 1);
      info.memory = { flags, initialPages: min.value, maximumPages: flags & 1 ? readU32(buf, min.next).value : null };
    } else if (s.id === 6) {
      // Emscripten's first global is __stack_pointer: a mutable i32 whose initial value is the
      // stack's top (the stack grows down, the heap starts above it).
      const count = readU32(buf, s.payload);
      const type = buf[count.next];
      const mutable = buf[count.next + 1];
      const op = buf[count.next + 2];
      if (count.value > 0 && type === 0x7f && mutable === 1 && op === 0x41) info.stackTop = readI32(buf, count.next + 3).value;
    } else if (s.id === 0 && s.name === HINTS_SECTION) {
      const nameLen = readU32(buf, s.payload);
      const n = readU32(buf, nameLen.next + nameLen.value);
      info.hints = buf.subarray(n.next, n.next + n.value);
    }
  }
  return info;
}

/** The memory section with a new initial size (the maximum kept). */
function memorySection(memory, initialPages) {
  const limits = [Buffer.from([memory.flags]), u32(initialPages)];
  if (memory.flags & 1) limits.push(u32(memory.maximumPages));
  const payload = Buffer.concat([u32(1), ...limits]);
  return Buffer.concat([Buffer.from([5]), u32(payload.length), payload]);
}

function hintsSection(declaredFunctions, importedFunctions, eager) {
  const hints = Buffer.alloc(declaredFunctions);
  for (const index of eager) {
    const declared = index - importedFunctions;
    if (declared < 0 || declared >= declaredFunctions) throw new Error(`function ${index} is not a declared function`);
    hints[declared] = EAGER_LIFTOFF;
  }
  const name = Buffer.from(HINTS_SECTION);
  const payload = Buffer.concat([u32(name.length), name, u32(declaredFunctions), hints]);
  return Buffer.concat([Buffer.from([0]), u32(payload.length), payload]);
}

/**
 * The module with its initial memory at the stack's top plus HEAP_HEADROOM (never above the
 * original) and, when `eager` names functions (indices counting imports, as V8 does), a
 * compilationHints section before the code section, where V8 requires it.
 */
export function rewriteParserWasm(original, eager) {
  const info = describe(original);
  if (!info.memory || info.stackTop === null) throw new Error('libpg-query.wasm: no memory or __stack_pointer found');
  const initialPages = Math.min(info.memory.initialPages, Math.ceil((info.stackTop + HEAP_HEADROOM) / PAGE));
  const parts = [original.subarray(0, 8)];
  for (const s of sections(original)) {
    if (s.id === 0 && s.name === HINTS_SECTION) continue;
    if (s.id === 10 && eager.length) parts.push(hintsSection(info.declaredFunctions, info.importedFunctions, eager));
    parts.push(s.id === 5 ? memorySection(info.memory, initialPages) : original.subarray(s.start, s.end));
  }
  return Buffer.concat(parts);
}

/**
 * The functions (indices counting imports) V8 compiles while the bin lints `trainingSql` with
 * the package's own WebAssembly beside it: V8 prints "Compiled function <addr>#<index> using
 * Liftoff" for each under --trace-wasm-compilation-times. None when the trace says nothing (a
 * V8 that words it otherwise): the build then ships the copy without hints.
 */
export function trainEagerFunctions(bin, trainingSql) {
  const run = spawnSync(process.execPath, ['--liftoff-only', '--no-opt', '--trace-wasm-compilation-times', bin, 'lint', '--format', 'json', trainingSql], {
    encoding: 'utf8',
    env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' },
    maxBuffer: 64 << 20,
  });
  if (run.error) throw run.error;
  const found = new Set();
  for (const m of `${run.stdout}\n${run.stderr}`.matchAll(/^Compiled function \S*#(\d+) using Liftoff/gm)) found.add(Number(m[1]));
  return [...found].sort((a, b) => a - b);
}

/** Writes dist/bin/libpg-query.wasm for the bin in `outdir`; returns what it did, for the build's log. */
export function buildParserWasm({ root, outdir, bin, trainingSql }) {
  const source = createRequire(path.join(root, 'package.json')).resolve('libpg-query/wasm/libpg-query.wasm');
  const original = readFileSync(source);
  const target = path.join(outdir, 'libpg-query.wasm');
  // Trained with the package's WebAssembly: no copy beside the bin yet.
  rmSync(target, { force: true });
  const eager = trainEagerFunctions(bin, trainingSql);
  const rewritten = rewriteParserWasm(original, eager);
  if (!WebAssembly.validate(rewritten)) throw new Error('the rewritten libpg-query.wasm does not validate');
  writeFileSync(target, rewritten);
  const info = describe(rewritten);
  return { eager: eager.length, initialMiB: (info.memory.initialPages * PAGE) / 2 ** 20, originalMiB: (describe(original).memory.initialPages * PAGE) / 2 ** 20 };
}
