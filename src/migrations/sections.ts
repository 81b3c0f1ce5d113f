/**
 * Up/down sections inside one migration file. Only dbmate keeps both directions in one
 * file; every other supported framework uses separate files, so their text is all "up".
 */
import { readFile } from 'node:fs/promises';
import type { Framework } from './framework.js';
import { dbmateMarkers, detectFramework } from './framework.js';

export interface TextRange {
  /** String index of the first character. */
  start: number;
  /** String index one past the last character. */
  end: number;
}

/**
 * The down sections of a dbmate migration: each runs from a `-- migrate:down` marker
 * line to the next `-- migrate:up` marker (dbmate allows several up/down pairs per
 * file) or to the end of the text.
 */
export function dbmateDownRanges(text: string): TextRange[] {
  const markers = dbmateMarkers(text);
  const ranges: TextRange[] = [];
  for (let i = 0; i < markers.length; i++) {
    const m = markers[i];
    if (!m || m.direction !== 'down') continue;
    let end = text.length;
    for (let j = i + 1; j < markers.length; j++) {
      const next = markers[j];
      if (next && next.direction === 'up') {
        end = next.start;
        break;
      }
    }
    const last = ranges[ranges.length - 1];
    if (last && last.end >= m.start) last.end = Math.max(last.end, end);
    else ranges.push({ start: m.start, end });
  }
  return ranges;
}

/** Replace every character in the ranges with a space, keeping `\n` and `\r`. */
export function blankRanges(text: string, ranges: readonly TextRange[]): string {
  if (ranges.length === 0) return text;
  let out = '';
  let pos = 0;
  for (const r of ranges) {
    out += text.slice(pos, r.start);
    out += text.slice(r.start, r.end).replace(/[^\r\n]/g, ' ');
    pos = r.end;
  }
  return out + text.slice(pos);
}

/**
 * The text that runs when migrating up. For dbmate the down sections are blanked out
 * (every UTF-16 code unit except line breaks becomes a space), so the result has the
 * same length and every up-section statement keeps its offset, line and column. Other
 * frameworks return the text unchanged.
 */
export function upSection(text: string, framework: Framework): string {
  if (framework !== 'dbmate') return text;
  return blankRanges(text, dbmateDownRanges(text));
}

/** A discovered migration's text as its runner executes it: dbmate's down sections blanked. */
export async function readMigration(file: { path: string; displayPath: string }): Promise<{ path: string; text: string }> {
  const text = await readFile(file.path, 'utf8');
  return { path: file.displayPath, text: upSection(text, detectFramework(file.path, text).framework) };
}
