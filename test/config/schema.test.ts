/**
 * ddlguard.schema.json is what the config is validated with: the committed validator
 * module is its current compilation, it names every key the code and the README know,
 * it agrees with the code's lists and patterns, and its errors keep the file:line messages.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, ConfigError, parseConfigText, PG_VERSION_MAX, PG_VERSION_MIN, validateConfig } from '../../src/config/index.js';
import { isDuration } from '../../src/sql/duration.js';
import { sizeToBytes } from '../../src/sql/bytes.js';
import { RATE_NAMES } from '../../src/locks/estimate.js';
import { EVIDENCE_RULES } from '../../src/lint/compat.js';
import { FRAMEWORKS } from '../../src/migrations/framework.js';
import { ALL_RULES } from '../../rules/index.js';
// @ts-expect-error: a plain ES module script, no types
import { generate, OUTPUT_FILE, SCHEMA_FILE } from '../../scripts/build-config-validator.mjs';

const ROOT = path.resolve(__dirname, '../..');
const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
const RULE_IDS = ALL_RULES.map((r) => r.meta.id);
const where = { format: 'json' as const, file: '/p/ddlguard.config.json', displayFile: 'ddlguard.config.json' };

type Node = Record<string, any>;
const deref = (n: Node): Node => (n.$ref ? deref(n.$ref.replace('#/', '').split('/').reduce((o: Node, k: string) => o[k], schema)) : n);
const at = (...keys: string[]): Node => keys.reduce((n, k) => deref(deref(n).properties[k]), schema as Node);

function issues(text: string): string[] {
  try {
    parseConfigText(text, where);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).message.split('\n');
  }
  throw new Error('expected a ConfigError');
}

describe('ddlguard.schema.json', () => {
  it('is compiled into the committed validator module (run `npm run build:config-schema` after editing it)', () => {
    expect(readFileSync(OUTPUT_FILE, 'utf8')).toBe(generate(readFileSync(SCHEMA_FILE, 'utf8')));
  });

  it('notices a stale validator: a changed schema compiles to another module', () => {
    const changed = { ...schema, properties: { ...schema.properties, pgVersion: { ...schema.properties.pgVersion, maximum: 20 } } };
    expect(generate(JSON.stringify(changed))).not.toBe(readFileSync(OUTPUT_FILE, 'utf8'));
  });

  it('is published with the package', () => {
    expect(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).files).toContain('ddlguard.schema.json');
  });

  it('has the keys and lists of the code', () => {
    expect(Object.keys(schema.properties).sort()).toEqual(['$schema', ...CONFIG_KEYS].sort());
    expect([at('pgVersion').minimum, at('pgVersion').maximum]).toEqual([PG_VERSION_MIN, PG_VERSION_MAX]);
    expect(Object.keys(at('estimates').properties)).toEqual([...RATE_NAMES, 'source']);
    expect(Object.keys(at('evidenceSeverity', 'rules').properties)).toEqual([...EVIDENCE_RULES]);
    expect(deref(at('baseline', 'released').items).properties.framework.enum).toEqual([...FRAMEWORKS]);
  });

  it('takes the durations and sizes the code reads, and no others', () => {
    const duration = new RegExp(deref(at('apply', 'lockTimeout')).pattern, 'u');
    const size = new RegExp(deref(at('planner', 'smallTable', 'bytes')).pattern, 'u');
    const samples = ['2s', '500ms', '1min', '1.5h', '250', ' 3 d ', '10us', 'soon', '2 S', '1m', '', '-1s', '1e3', '64MB', '1GB', '8kB', '8KB', '1 TB', '12B', '0.5GB', 'x'];
    for (const s of samples) {
      expect(duration.test(s), s).toBe(isDuration(s));
      expect(size.test(s), s).toBe(sizeToBytes(s) !== null);
    }
  });

  it('accepts every configuration the README documents, so every documented key is in it', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
    const inline = [...readme.matchAll(/`("evidenceSeverity": \{[^`]*\})`/g)].map((m) => m[1]!.replace(/\s*\n\s*/g, ' '));
    const configs = [...blocks, ...inline].map((t) => JSON.parse(t.startsWith('{') ? t : `{${t}}`));
    const documented = new Set(configs.flatMap((c) => Object.keys(c)));
    for (const key of CONFIG_KEYS) expect(documented, `README documents "${key}"`).toContain(key);
    expect(documented).toContain('$schema');
    for (const c of configs) expect(() => validateConfig(c, { knownRuleIds: RULE_IDS })).not.toThrow();
  });

  it('lets a config name it in $schema, and a bad value keeps its file:line message', () => {
    const text = '{\n  "$schema": "./node_modules/ddlguard/ddlguard.schema.json",\n  "pgVersion": 16,\n  "severityThreshold": "fatal",\n  "apply": { "retries": 1.5 }\n}\n';
    expect(issues(text)).toEqual([
      'ddlguard.config.json:4:24: severityThreshold: expected one of "info", "warning", "error", got "fatal"',
      'ddlguard.config.json:5:25: apply.retries: expected an integer >= 0, got 1.5',
    ]);
    expect(parseConfigText(text.replace('"fatal"', '"error"').replace('1.5', '2'), where)).toEqual({ pgVersion: 16, severityThreshold: 'error', apply: { retries: 2 } });
    expect(issues('{ "$schema": 3 }')).toEqual(['ddlguard.config.json:1:14: $schema: expected a string, got 3']);
  });

  it('words a misspelt enum value, a size and a missing key as before', () => {
    const yaml = 'planner:\n  smallTable: { bytes: 1 gigabyte }\nrules:\n  drop-column: warn\nreaders: {}\n';
    expect(() => parseConfigText(yaml, { format: 'yaml', displayFile: 'ddlguard.config.yaml' })).toThrow(
      [
        'ddlguard.config.yaml:2:24: planner.smallTable.bytes: expected a size such as "64MB", "1GB" or a number of bytes, got "1 gigabyte"',
        'ddlguard.config.yaml:4:16: rules.drop-column: expected one of "off", "info", "warning", "error", got "warn" (did you mean warning?)',
        'ddlguard.config.yaml:5:10: readers: missing required key "paths"',
      ].join('\n'),
    );
  });
});
