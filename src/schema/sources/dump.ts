/** A `pg_dump --schema-only` file replayed into a schema model (psql meta-commands blanked, positions kept). */
import { parseSqlFile } from '../../sql/parse.js';
import { SchemaModel, externalOrigin } from '../model.js';
import { replayStatement } from '../replay.js';

export interface DumpError {
  line: number;
  column: number;
  message: string;
}

export function modelFromDump(text: string, label: string): { model: SchemaModel; errors: DumpError[] } {
  // `\restrict`, `\connect` ...: psql meta-commands, not SQL. Blank them, keeping line numbers.
  const sql = text.replace(/^\\[^\n]*$/gm, (m) => ' '.repeat(m.length));
  const parsed = parseSqlFile(label, sql);
  const model = new SchemaModel();
  if (parsed.error) return { model, errors: [{ line: parsed.error.line, column: parsed.error.column, message: parsed.error.message }] };
  const origin = externalOrigin('dump', label);
  for (const s of parsed.statements) if (s.inDoBlock === null) replayStatement(model, s, origin);
  return { model, errors: [] };
}
