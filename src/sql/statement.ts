import type { Comment, Directive } from './comments.js';
import type { Span } from './source.js';

/** One top-level SQL statement (or one statement found inside a DO block). */
export interface ParsedStatement {
  /** Position in the file's statement list (DO-block statements follow their DO). */
  index: number;
  /** The parse node's type name, e.g. `AlterTableStmt`. */
  kind: string;
  /** The parse node's body (the object under `kind`). Typed loosely: see src/sql/ast.ts. */
  node: any;
  /** Source text of the statement, without the trailing semicolon. */
  text: string;
  span: Span;
  /** Comments before the statement, inside it, and after it on its last line. */
  comments: Comment[];
  directives: Directive[];
  /** Set when this statement was found inside a DO block; the DO statement's index. */
  inDoBlock: number | null;
  /**
   * Inside a loop of a DO block: `commits` when the block COMMITs, so each pass is its own
   * transaction (a batched backfill written by hand).
   */
  doLoop?: { commits: boolean } | null;
}

export interface FileParseError {
  message: string;
  line: number;
  column: number;
}

export interface ParsedFile {
  path: string;
  text: string;
  statements: ParsedStatement[];
  comments: Comment[];
  /** File-level directives (ignore-file). */
  directives: Directive[];
  error: FileParseError | null;
}
