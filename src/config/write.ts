/**
 * Setting one top-level key of a config file in place (`ddlguard baseline`), keeping the
 * rest as written: JSON keeps its key order and indentation, package.json its other keys,
 * YAML its comments and layout (the yaml library's document model).
 */
import { createRequire } from 'node:module';
import type { ConfigFormat } from './types.js';
import { PACKAGE_JSON_KEY } from './load.js';

function indentOf(text: string): string | number {
  const m = /^[{[]\s*\n([ \t]+)\S/.exec(text);
  return m?.[1] ?? 2;
}

/** The file's text with `key` set to `value` (added at the end when absent). */
export function withConfigKey(text: string, format: ConfigFormat, key: string, value: unknown): string {
  if (format === 'yaml') {
    const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    const doc = yaml.parseDocument(text);
    if (doc.contents === null) doc.contents = doc.createNode({}) as never;
    doc.setIn([key], doc.createNode(value));
    return doc.toString({ lineWidth: 0 });
  }
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const target = format === 'package.json' ? (parsed[PACKAGE_JSON_KEY] as Record<string, unknown>) : parsed;
  target[key] = value;
  const out = JSON.stringify(parsed, null, indentOf(text));
  return text.endsWith('\n') ? `${out}\n` : out;
}
