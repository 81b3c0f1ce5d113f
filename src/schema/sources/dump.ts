/**
 * A schema model from `pg_dump --schema-only` output: the dump is replayed statement by
 * statement with the same parser and replayStatement as migration history, every fact's
 * origin being the dump. psql meta-commands (`\restrict`, `\unrestrict`, `\connect`, ...)
 * are blanked first, keeping every line where it was.
 *
 * Bad input never throws: a statement that does not parse is reported with its line and
 * column (1-based) and the rest of the file is still replayed.
 */
import { parseSqlFile } from '../../sql/parse.js';
import { scanRaw } from '../../sql/parser.js';
import { SourceText } from '../../sql/source.js';
import type { ParsedStatement } from '../../sql/statement.js';
import { replayStatement } from '../replay.js';
import { DEFAULT_SCHEMA, SchemaModel, externalOrigin } from '../model.js';

export interface DumpError {
  message: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

export interface DumpModel {
  model: SchemaModel;
  errors: DumpError[];
}

/** Meta-commands pg_dump and pg_dumpall write; psql runs them, the server never sees them. */
const META_COMMAND = /^[ \t]*\\(?:restrict|unrestrict|connect|c|encoding|set|unset|setenv|if|elif|else|endif)\b[^\n]*/gm;

/** Blanks psql meta-command lines; line and column numbers of everything else stay as they were. */
export function blankMetaCommands(text: string): string {
  return text.replace(META_COMMAND, '');
}

/**
 * Replays a schema-only dump. The parser must be loaded (`await loadParser()`). `label`
 * names the dump in origins and messages (e.g. the file name).
 */
export function modelFromDump(text: string, label: string): DumpModel {
  const model = new SchemaModel();
  const errors: DumpError[] = [];
  const origin = externalOrigin('dump', label);
  const replay = (stmts: readonly ParsedStatement[]) => {
    for (const s of stmts) {
      try {
        replayStatement(model, s, origin);
      } catch (e) {
        errors.push({ message: `could not replay this statement: ${e instanceof Error ? e.message : String(e)}`, line: s.span.start.line, column: s.span.start.column });
      }
    }
  };
  const clean = blankMetaCommands(text);
  const parsed = parseSqlFile(label, clean);
  if (!parsed.error) replay(parsed.statements);
  else {
    // Replay what parses, statement by statement, and report each piece that does not.
    for (const piece of splitStatements(clean)) {
      if (piece.error) errors.push(piece.error);
      else replay(piece.statements);
    }
    if (errors.length === 0) errors.push(parsed.error);
  }
  // The dump empties search_path for its own session; what it leaves is the server's default.
  model.searchPath = [DEFAULT_SCHEMA];
  return { model, errors };
}

interface Piece {
  statements: ParsedStatement[];
  error: DumpError | null;
}

/** Statements cut at the scanner's top-level semicolons, each parsed on its own (a piece that fails is joined with the next few before it counts as an error: BEGIN ATOMIC bodies hold semicolons). */
function splitStatements(text: string): Piece[] {
  const src = new SourceText(text);
  let tokens;
  try {
    tokens = scanRaw(text);
  } catch (e) {
    // Not even the scanner gets through (an unterminated string or dollar quote): one error.
    return [{ statements: [], error: { message: e instanceof Error ? e.message : String(e), line: 1, column: 1 } }];
  }
  const cuts: number[] = [0];
  for (const t of tokens) if (t.tokenName === 'ASCII_59') cuts.push(src.indexOfByte(t.end));
  if (cuts[cuts.length - 1] !== text.length) cuts.push(text.length);
  const out: Piece[] = [];
  const parseRange = (from: number, to: number) => {
    const pos = src.position(from);
    // Blank everything before the piece on its own first line so columns stay right; lines are shifted after.
    const body = ' '.repeat(pos.column - 1) + text.slice(from, to);
    const parsed = parseSqlFile('dump', body);
    const shift = (line: number) => line + pos.line - 1;
    for (const s of parsed.statements) {
      s.span = { ...s.span, start: { ...s.span.start, line: shift(s.span.start.line) }, end: { ...s.span.end, line: shift(s.span.end.line) } };
    }
    return { parsed, shift };
  };
  for (let i = 0; i + 1 < cuts.length; ) {
    const from = cuts[i]!;
    let done = false;
    for (let j = i + 1; j < cuts.length && j <= i + 20; j++) {
      const { parsed } = parseRange(from, cuts[j]!);
      if (!parsed.error) {
        out.push({ statements: parsed.statements, error: null });
        i = j;
        done = true;
        break;
      }
    }
    if (!done) {
      const { parsed, shift } = parseRange(from, cuts[i + 1]!);
      const err = parsed.error!;
      out.push({ statements: [], error: { message: err.message, line: shift(err.line), column: err.column } });
      i++;
    }
  }
  return out;
}
