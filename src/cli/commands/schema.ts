/**
 * `ddlguard schema export [--db URL | --schema FILE] [-o FILE]`: the schema model as a
 * snapshot file (docs/schema-snapshot.schema.json), read from a live database (--db,
 * default DATABASE_URL) or converted from a `pg_dump --schema-only` file (--schema), for
 * CI jobs that cannot reach the database. Exit 0 written, 2 usage, input or connection
 * errors (one line, password masked).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { toSnapshot } from '../../schema/sources/snapshot.js';
import type { SchemaModel } from '../../schema/model.js';
import { CliError, EXIT_CLEAN } from '../exit.js';

export interface SchemaExportArgs {
  db?: string;
  schema?: string;
  output?: string;
}

/** `-- Dumped from database version 15.18 (...)` -> 15. */
function dumpMajor(text: string): number | null {
  const m = /^-- Dumped from database version (\d+)(?:\.(\d+))?/m.exec(text);
  if (!m) return null;
  const major = Number(m[1]);
  // 9.6 and older: the major is the first two numbers.
  return major >= 10 ? major : null;
}

async function fromDump(file: string): Promise<{ model: SchemaModel; pgVersion: number | null; source: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`--schema: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const [{ loadParser }, { modelFromDump }] = await Promise.all([import('../../sql/parser.js'), import('../../schema/sources/dump.js')]);
  await loadParser();
  const { model, errors } = modelFromDump(text, file);
  if (errors.length) {
    const shown = errors.slice(0, 10).map((e) => `${file}:${e.line}:${e.column}: ${e.message}`);
    if (errors.length > 10) shown.push(`... and ${errors.length - 10} more`);
    throw new CliError(`--schema: ${file} is not a schema dump ddlguard can read:\n${shown.join('\n')}`);
  }
  return { model, pgVersion: dumpMajor(text), source: file };
}

async function fromDb(url: string): Promise<{ model: SchemaModel; pgVersion: number | null; source: string }> {
  const [{ introspectLive }, { redactError, redactUrl }] = await Promise.all([import('../../schema/sources/live.js'), import('../../db/connection.js')]);
  try {
    const { model, pgVersion } = await introspectLive(url);
    return { model, pgVersion, source: redactUrl(url) };
  } catch (e) {
    const message = redactError(e, url).message.replace(/\s*\n\s*/g, ' ');
    throw new CliError(`--db ${redactUrl(url)}: ${message}`);
  }
}

export async function runSchemaExport(args: SchemaExportArgs): Promise<number> {
  if (args.db && args.schema) throw new CliError('schema export: give --db or --schema, not both');
  const db = args.schema ? undefined : (args.db ?? process.env.DATABASE_URL);
  if (!args.schema && !db) throw new CliError('schema export: give --db <url> (or set DATABASE_URL) or --schema <pg_dump file>');
  const read = args.schema ? await fromDump(args.schema) : await fromDb(db!);
  const json = `${JSON.stringify(toSnapshot(read.model, { pgVersion: read.pgVersion, source: read.source }), null, 2)}\n`;
  if (args.output) {
    try {
      await writeFile(args.output, json);
    } catch (e) {
      throw new CliError(`-o: cannot write ${args.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else {
    await new Promise<void>((resolve, reject) => process.stdout.write(json, (err) => (err ? reject(err) : resolve())));
  }
  return EXIT_CLEAN;
}
