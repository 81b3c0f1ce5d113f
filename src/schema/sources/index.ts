/**
 * The schema sources other than migration files: the live database and a schema
 * file (a snapshot from `ddlguard schema export`, or `pg_dump --schema-only`
 * output). Each yields a SchemaModel; they are merged with the live database
 * first. The history files are merged under the result by the engine and the
 * planner, and the files under test are replayed on top:
 *
 *   live database  >  schema file  >  history files  >  files under test
 *
 * The database driver loads only when a database is given.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SchemaModel } from '../model.js';
import { mergeModels, type SourceNote } from './merge.js';
import { fromSnapshot, SnapshotError } from './snapshot.js';

export interface SchemaSourceSpec {
  /** Live database URL. */
  db?: string | null;
  /** Where the URL came from, for messages (`--db`, `DATABASE_URL`, `config db`). */
  dbFrom?: string;
  /** A snapshot (.json) or pg_dump (.sql) file. */
  schemaFile?: string | null;
  cwd?: string;
}

export interface LoadedSchema {
  model: SchemaModel;
  /** How notes and findings name the source: `the live database`, `schema.json`, or both. */
  label: string;
  /** One entry per source, for summaries. */
  labels: string[];
  notes: SourceNote[];
  /** The server major from the live database or the snapshot, when known. */
  pgVersion: number | null;
}

/** A source that cannot be read: the message names the file and position, or the database (password masked). */
export class SchemaSourceError extends Error {}

export const LIVE_LABEL = 'the live database';

export async function loadSchemaSources(spec: SchemaSourceSpec): Promise<LoadedSchema | null> {
  const layers: Array<{ model: SchemaModel; label: string }> = [];
  let pgVersion: number | null = null;
  if (spec.db) {
    const { introspectLive } = await import('./live.js');
    try {
      const live = await introspectLive(spec.db);
      layers.push({ model: live.model, label: LIVE_LABEL });
      pgVersion = live.pgVersion;
    } catch (e) {
      const { redactError, redactUrl } = await import('../../db/connection.js');
      throw new SchemaSourceError(`${spec.dbFrom ?? '--db'}: cannot read the schema from ${redactUrl(spec.db)}: ${redactError(e, spec.db).message}`);
    }
  }
  if (spec.schemaFile) {
    const file = await readSchemaFile(spec.schemaFile, spec.cwd ?? process.cwd());
    layers.push({ model: file.model, label: file.label });
    pgVersion ??= file.pgVersion;
  }
  if (layers.length === 0) return null;
  const notes: SourceNote[] = [];
  const model = layers.length === 1 ? layers[0]!.model : mergeModels(layers, notes);
  return { model, label: layers.map((l) => l.label).join(' and '), labels: layers.map((l) => l.label), notes, pgVersion };
}

/** A snapshot (JSON) or a pg_dump (SQL), told apart by content. */
export async function readSchemaFile(file: string, cwd: string): Promise<{ model: SchemaModel; label: string; pgVersion: number | null }> {
  const label = path.relative(cwd, path.resolve(cwd, file)).split(path.sep).join('/') || file;
  let text: string;
  try {
    text = readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (e) {
    throw new SchemaSourceError(`--schema: cannot read ${label}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (/^\s*\{/.test(text)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new SchemaSourceError(`${label}:${jsonErrorPosition(text, e as Error)}: not valid JSON: ${(e as Error).message.replace(/ in JSON at position \d+.*$/, '')}`);
    }
    try {
      const { model, snapshot } = fromSnapshot(value, label);
      return { model, label, pgVersion: snapshot.pgVersion };
    } catch (e) {
      if (e instanceof SnapshotError) throw new SchemaSourceError(`${label}: ${e.message}`);
      throw e;
    }
  }
  const { modelFromDump } = await import('./dump.js');
  const { loadParser } = await import('../../sql/parser.js');
  await loadParser();
  const dump = modelFromDump(text, label);
  const first = dump.errors[0];
  if (first) throw new SchemaSourceError(`${label}:${first.line}:${first.column}: ${first.message}`);
  return { model: dump.model, label, pgVersion: null };
}

/** `line:column` (1-based) of a JSON.parse error, from the position V8 reports. */
function jsonErrorPosition(text: string, e: Error): string {
  const m = /position (\d+)/.exec(e.message);
  const at = m ? Number(m[1]) : text.length;
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - (before.lastIndexOf('\n') + 1) + 1;
  return `${line}:${column}`;
}
