/**
 * The text of a JSON or YAML file (the config, a fleet file) as a value plus a Locator: where
 * each key path is in the text, 1-based line and column, so that a validator can say
 * `file:line:column: key.path: problem`. A syntax error is a ConfigError at its position.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Document, LineCounter } from 'yaml';
import { SourceText } from '../sql/source.js';
import { ConfigError, type ConfigIssue } from './errors.js';

export type KeyPath = ReadonlyArray<string | number>;

/** Where a key (or its value) is in the source text: 1-based line and column. */
export type Locator = (path: KeyPath, target: 'key' | 'value') => { line: number; column: number } | undefined;

/** Where a text comes from, for the issues about it. */
export interface TextOrigin {
  /** Absolute path. */
  file?: string;
  /** As shown in messages. */
  displayFile?: string;
}

/** yaml is loaded on first use: most runs find no config, or a JSON one without errors. */
let yamlModule: typeof import('yaml') | null = null;
function yaml(): typeof import('yaml') {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlModule;
}

/** A path as messages show it: relative to cwd when under it, else absolute. */
export function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.replace(/\\/g, '/') : rel === '' ? '.' : file;
}

/** Reads a file as text (a BOM dropped); an unreadable file is a ConfigError `cannot read <what>: <why>`. */
export async function readSourceText(file: string, origin: TextOrigin, what: string): Promise<string> {
  try {
    return readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : e instanceof Error ? e.message : String(e);
    throw new ConfigError({ ...origin, message: `cannot read ${what}: ${why}` }, { cause: e });
  }
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).replace(/ at line \d+, column \d+:?$/, '');
}

/** JSON.parse, its error a ConfigError at the line and column of the offending character. */
export function parseJson(text: string, origin: TextOrigin): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /at position (\d+)/.exec(msg);
    const offset = m ? Number(m[1]) : /end of JSON input/.test(msg) ? text.length : undefined;
    const issue: ConfigIssue = { ...origin, message: `invalid JSON: ${msg.replace(/\s*(?:in JSON\s*)?at position \d+.*$/, '').replace(/ \(line \d+ column \d+\)$/, '')}` };
    if (offset !== undefined) {
      const pos = new SourceText(text).position(offset);
      issue.line = pos.line;
      issue.column = pos.column;
    }
    throw new ConfigError(issue, { cause: e });
  }
}

/** Parses YAML (unique keys): the value (null for an empty document) and its Locator. Every syntax error is an issue. */
export function parseYaml(text: string, origin: TextOrigin, prefix: KeyPath = []): { value: unknown; locate: Locator } {
  const lineCounter = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e): ConfigIssue => {
        const pos = e.linePos?.[0];
        return { ...origin, ...(pos && { line: pos.line, column: pos.col }), message: `invalid YAML: ${firstLine(e.message)}` };
      }),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (e) {
    throw new ConfigError({ ...origin, message: `invalid YAML: ${e instanceof Error ? e.message : String(e)}` });
  }
  return { value: value ?? null, locate: yamlLocator(doc, lineCounter, prefix) };
}

/** Locations in JSON text, found through the YAML parser (JSON is YAML) with tabs made spaces (same offsets). */
export function jsonLocator(text: string, prefix: KeyPath = []): Locator {
  const lineCounter = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text.replace(/\t/g, ' '), { lineCounter, uniqueKeys: false });
  return yamlLocator(doc, lineCounter, prefix);
}

/** Locations in a parsed YAML document; `prefix` is the key path of the validated value in it (package.json's "ddlguard"). */
export function yamlLocator(doc: Document, lineCounter: LineCounter, prefix: KeyPath = []): Locator {
  const posOf = (node: unknown): { line: number; column: number } | undefined => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (!range) return undefined;
    const p = lineCounter.linePos(range[0]);
    return { line: p.line, column: p.col };
  };
  return (keyPath, target) => {
    let node: unknown = doc.contents;
    let keyNode: unknown = null;
    // The nearest node that exists, for paths that go past the document.
    let nearest = posOf(node);
    for (const seg of [...prefix, ...keyPath]) {
      if (yaml().isMap(node)) {
        const pair = node.items.find((it) => (yaml().isScalar(it.key) ? String(it.key.value) : undefined) === String(seg));
        if (!pair) return nearest;
        keyNode = pair.key;
        node = pair.value;
        nearest = posOf(node) ?? posOf(keyNode) ?? nearest;
      } else if (yaml().isSeq(node) && typeof seg === 'number') {
        keyNode = null;
        node = node.items[seg];
        if (node === undefined) return nearest;
        nearest = posOf(node) ?? nearest;
      } else {
        return nearest;
      }
    }
    if (target === 'key' && keyNode) return posOf(keyNode) ?? nearest;
    return posOf(node) ?? posOf(keyNode) ?? nearest;
  };
}
