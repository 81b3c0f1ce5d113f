/**
 * Positions between the engine and the editor.
 *
 * The engine reports 1-based lines and 1-based columns counted in UTF-16 code units (string
 * indexes, see src/sql/source.ts), over the text without a leading byte order mark, with only
 * `\n` ending a line. LSP positions are 0-based, in UTF-16 code units by default, and a client
 * also ends lines at a lone `\r`. So nothing here converts line/column to line/character
 * directly: a finding's line/column becomes a string offset into the linted text (the engine's
 * line model), the BOM is added back, and the document turns the offset into a position (the
 * client's line model). Both ends agree on offsets; only offsets are exchanged.
 */
import type { Position, Range } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';

/** The document's text as the engine lints it, and how to map offsets back. */
export class LintedText {
  /** 1 when the document starts with a byte order mark (the engine never sees it). */
  readonly bom: 0 | 1;
  /** The text the engine reads: the document without its BOM. */
  readonly text: string;
  private readonly lineStarts: number[];

  constructor(readonly doc: TextDocument) {
    const full = doc.getText();
    this.bom = full.charCodeAt(0) === 0xfeff ? 1 : 0;
    this.text = this.bom ? full.slice(1) : full;
    this.lineStarts = [0];
    for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  /** String offset into `text` of a 1-based line and UTF-16 column, as findings and parse errors give them. */
  offsetOf(line: number, column: number): number {
    const start = this.lineStarts[Math.max(0, line - 1)];
    if (start === undefined) return this.text.length;
    return Math.min(this.text.length, start + Math.max(0, column - 1));
  }

  /** LSP position of an offset into `text`. */
  position(offset: number): Position {
    return this.doc.positionAt(offset + this.bom);
  }

  range(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(end) };
  }

  /** Offset into `text` of an LSP position (a position inside the BOM maps to 0). */
  offsetAt(pos: Position): number {
    return Math.max(0, this.doc.offsetAt(pos) - this.bom);
  }

  /** The range of a 1-based start and end line/column pair (end exclusive, as spans are). */
  spanRange(line: number, column: number, endLine: number, endColumn: number): Range {
    return this.range(this.offsetOf(line, column), this.offsetOf(endLine, endColumn));
  }

  /**
   * A range for a point problem (a parse error): the word or character at the point, so
   * editors that hide empty ranges still underline something; empty at the end of the text.
   */
  pointRange(line: number, column: number): Range {
    const at = this.offsetOf(line, column);
    const word = /^[\p{L}\p{N}_$]+|^[^\s]/u.exec(this.text.slice(at, at + 200));
    return this.range(at, at + (word ? word[0].length : 0));
  }
}

/** Whether two ranges overlap or touch (a cursor at either end of a range counts). */
export function touches(a: Range, b: Range): boolean {
  return !(before(a.end, b.start) || before(b.end, a.start));
}

function before(p: Position, q: Position): boolean {
  return p.line < q.line || (p.line === q.line && p.character < q.character);
}
