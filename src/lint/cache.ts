/**
 * `lint --cache`: each file's result (findings, errors, statement count) kept on disk, keyed
 * by everything it depends on, so a rerun over unchanged files skips parsing and the rules.
 *
 * The key of file i hashes the run (ddlguard's version, PostgreSQL version, the effective
 * severity of every rule and the other engine settings), the file itself (path, role,
 * transaction handling, text) and the key of file i-1. The schema state a file is linted
 * against is the replay of the files before it, so chaining the keys makes it part of the key:
 * editing, adding or removing an earlier file gives every later file a new key.
 *
 * The cache file is one JSON document behind a header with its SHA-256. A file that is
 * missing, unreadable, of another format or version, or whose checksum or shape does not
 * match is ignored (the run lints everything and writes a new one): it is never trusted.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EngineOptions, FileResult, SourceFile } from './engine.js';

const MAGIC = 'ddlguard-lint-cache';
const FORMAT = 1;
/** Entries kept across runs (the newest win); a run's own entries are always kept. */
const MAX_ENTRIES = 20_000;
/** The default location, relative to the working directory (ESLint's convention). */
export const DEFAULT_CACHE_LOCATION = 'node_modules/.cache/ddlguard/';
const FILE_NAME = 'lint-cache.json';

export interface CacheSettings {
  /** A file, or a directory (an existing one, or a path ending in a separator) to hold lint-cache.json. */
  location: string;
  /** ddlguard's version: part of every key. */
  toolVersion: string;
  /** Told when the cache cannot be written (the run's result stands). */
  warn?: (message: string) => void;
}

/** The cache file a --cache-location names. */
export function cacheFile(location: string): string {
  if (/[\\/]$/.test(location)) return path.join(location, FILE_NAME);
  try {
    if (statSync(location).isDirectory()) return path.join(location, FILE_NAME);
  } catch {
    // not there yet: a file
  }
  return location;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** What every file's result depends on besides the files: the engine settings. */
function runKey(engine: EngineOptions, toolVersion: string, extra: unknown): string {
  const severities = [...engine.severities].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sha(
    JSON.stringify({
      format: FORMAT,
      toolVersion,
      pgVersion: engine.pgVersion,
      rules: engine.rules.map((r) => r.meta.id),
      severities,
      baseLockTimeoutMs: engine.baseLockTimeoutMs ?? null,
      severityBySize: engine.severityBySize ?? null,
      throughput: engine.throughput ?? null,
      extra: extra ?? null,
    }),
  );
}

/** The chained key of each source, in order. */
export function fileKeys(sources: readonly SourceFile[], engine: EngineOptions, toolVersion: string, extra?: unknown): string[] {
  let prev = runKey(engine, toolVersion, extra);
  return sources.map((s) => {
    prev = createHash('sha256')
      .update(prev)
      .update('\0')
      .update(JSON.stringify([s.displayPath, s.role, s.transaction, s.transactionWhy ?? null]))
      .update('\0')
      .update(s.text)
      .digest('hex');
    return prev;
  });
}

function validResult(v: unknown): v is FileResult {
  if (!v || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return (
    Array.isArray(r.findings) &&
    Array.isArray(r.errors) &&
    typeof r.statements === 'number' &&
    r.findings.every((f) => f && typeof f === 'object' && typeof f.file === 'string' && typeof f.rule === 'string' && typeof f.line === 'number') &&
    r.errors.every((e) => e && typeof e === 'object' && typeof e.file === 'string' && typeof e.message === 'string')
  );
}

/** The entries of a cache file, or an empty map when it is missing or not to be trusted. */
export function readCache(file: string, toolVersion: string): Map<string, FileResult> {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    return new Map();
  }
  const nl = raw.indexOf('\n');
  const header = (nl < 0 ? raw : raw.slice(0, nl)).split(' ');
  const body = nl < 0 ? '' : raw.slice(nl + 1);
  if (header.length !== 3 || header[0] !== MAGIC || header[1] !== String(FORMAT) || header[2] !== sha(body)) return new Map();
  let doc: { toolVersion?: unknown; entries?: unknown };
  try {
    doc = JSON.parse(body);
  } catch {
    return new Map();
  }
  if (!doc || doc.toolVersion !== toolVersion || !Array.isArray(doc.entries)) return new Map();
  const out = new Map<string, FileResult>();
  for (const e of doc.entries as unknown[]) {
    if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || !/^[0-9a-f]{64}$/.test(e[0]) || !validResult(e[1])) return new Map();
    out.set(e[0], e[1]);
  }
  return out;
}

/** Writes the cache (atomically: a temporary file renamed over it). Returns an error message, or null. */
export function writeCache(file: string, toolVersion: string, entries: Map<string, FileResult>): string | null {
  const list = [...entries];
  const body = JSON.stringify({ toolVersion, entries: list.slice(Math.max(0, list.length - MAX_ENTRIES)) });
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${MAGIC} ${FORMAT} ${sha(body)}\n${body}`);
    renameSync(tmp, file);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Wires a cache file into the engine options for one run over `sources`. Call `save()` after
 * the run: it writes the file when the run produced a result it did not have.
 */
export function attachCache(sources: readonly SourceFile[], engine: EngineOptions, settings: CacheSettings, extra?: unknown): { parses(): boolean; save(): string | null } {
  const file = cacheFile(settings.location);
  const old = readCache(file, settings.toolVersion);
  const keys = fileKeys(sources, engine, settings.toolVersion, extra);
  const fresh = new Map<string, FileResult>();
  engine.known = {
    get: (i) => old.get(keys[i]!),
    store: (i, r) => void fresh.set(keys[i]!, r),
  };
  const lastLint = sources.map((s) => s.role).lastIndexOf('lint');
  return {
    /** Will the run parse anything (a file up to the last linted one without a cached result)? */
    parses: () => keys.slice(0, lastLint + 1).some((k) => !old.has(k)),
    save() {
      if (fresh.size === 0) return null;
      // Older entries first, then this run's (kept last, so never pruned).
      const merged = new Map<string, FileResult>();
      for (const [k, v] of old) if (!fresh.has(k)) merged.set(k, v);
      for (const [k, v] of fresh) merged.set(k, v);
      return writeCache(file, settings.toolVersion, merged);
    },
  };
}
