/**
 * The config keys of adoption, validated like the others (messages with file:line):
 * `evidenceSeverity` (severity from reader evidence) and `baseline` (the released
 * migrations, written by `ddlguard init` / `ddlguard baseline` through withConfigKey).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/index.js';
import { withConfigKey } from '../../src/config/write.js';

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';
const where = { format: 'json' as const, file: '/p/ddlguard.config.json', displayFile: 'ddlguard.config.json' };

function issues(text: string, format: 'json' | 'yaml' = 'json'): string[] {
  try {
    parseConfigText(text, { ...where, format });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).message.split('\n');
  }
  throw new Error('expected a ConfigError');
}

const entry = { root: 'migrations', framework: 'diesel', last: '2024-01-10-123456_x', count: 341, digest: 'sum64:0123456789abcdef' };

describe('evidenceSeverity', () => {
  it('accepts the steps for every rule and per compatibility rule', () => {
    const value = { evidenceSeverity: { strong: 'error', weak: 'default', none: 'info', notSearched: 'warning', rules: { 'rename-column': { none: 'warning' } } } };
    expect(parseConfigText(json(value), where)).toEqual(value);
  });
  it('names bad steps, values and rule ids with file:line', () => {
    const text = json({ evidenceSeverity: { strong: 'fatal', nothing: 'info', rules: { 'drop-colum': { none: 'info' }, 'require-concurrent-index': {}, 'drop-table': { none: 'of' } } } });
    expect(issues(text)).toEqual([
      'ddlguard.config.json:3:15: evidenceSeverity.strong: expected one of "error", "warning", "info", "default", got "fatal"',
      'ddlguard.config.json:4:5: evidenceSeverity.nothing: unknown key',
      'ddlguard.config.json:6:7: evidenceSeverity.rules.drop-colum: not a rule whose severity follows the evidence (did you mean drop-column?); those are drop-column, drop-table, rename-column, rename-table, column-type-narrowing, add-column-required',
      'ddlguard.config.json:9:7: evidenceSeverity.rules.require-concurrent-index: not a rule whose severity follows the evidence; those are drop-column, drop-table, rename-column, rename-table, column-type-narrowing, add-column-required',
      'ddlguard.config.json:11:17: evidenceSeverity.rules.drop-table.none: expected one of "error", "warning", "info", "default", got "of"',
    ]);
  });
});

describe('baseline', () => {
  it('accepts entries as ddlguard baseline writes them, and hand-written ones without count and digest', () => {
    const value = { baseline: { released: [entry, { root: 'db', framework: 'plain', last: '0042_users' }] } };
    expect(parseConfigText(json(value), where)).toEqual(value);
  });
  it('names what is wrong in an entry with file:line', () => {
    const text = json({ baseline: { released: [{ ...entry, framework: 'dissel', digest: 'abc' }, { root: 'migrations', framework: 'diesel', last: 'x' }, { root: 'db' }] } });
    expect(issues(text)).toEqual([
      'ddlguard.config.json:6:22: baseline.released[0].framework: expected one of "plain", "flyway", "golang-migrate", "dbmate", "diesel", "prisma", "sqitch", got "dissel" (did you mean diesel?)',
      'ddlguard.config.json:9:19: baseline.released[0].digest: expected "sum64:" and 16 hex digits (as `ddlguard baseline` writes it), got "abc"',
      'ddlguard.config.json:12:17: baseline.released[1].root: "migrations" has an earlier entry: one entry per migration root',
      'ddlguard.config.json:16:7: baseline.released[2]: missing required key "framework"',
      'ddlguard.config.json:16:7: baseline.released[2]: missing required key "last"',
    ]);
    expect(issues(json({ baseline: { released: 'HEAD' } }))).toEqual(['ddlguard.config.json:3:17: baseline.released: expected an array of { root, framework, last } entries, got "HEAD"']);
  });
});

describe('withConfigKey: ddlguard baseline edits the config in place', () => {
  const baseline = { released: [entry] };
  it('JSON: keeps the key order and indentation, replaces an existing key where it is', () => {
    const text = '{\n    "pgVersion": 16,\n    "baseline": { "released": [] },\n    "migrations": ["migrations"]\n}\n';
    const out = withConfigKey(text, 'json', 'baseline', baseline);
    expect(Object.keys(JSON.parse(out))).toEqual(['pgVersion', 'baseline', 'migrations']);
    expect(out).toContain('\n    "pgVersion": 16,');
    expect(parseConfigText(out, where).baseline).toEqual(baseline);
  });
  it('YAML: keeps comments', () => {
    const out = withConfigKey('# production is 16\npgVersion: 16 # keep\nmigrations: [migrations]\n', 'yaml', 'baseline', baseline);
    expect(out).toContain('# production is 16');
    expect(out).toContain('pgVersion: 16 # keep');
    expect(parseConfigText(out, { format: 'yaml' }).baseline).toEqual(baseline);
  });
  it('package.json: under the "ddlguard" key, other keys untouched', () => {
    const out = withConfigKey('{\n  "name": "app",\n  "ddlguard": { "pgVersion": 15 }\n}\n', 'package.json', 'baseline', baseline);
    const pkg = JSON.parse(out);
    expect(pkg.name).toBe('app');
    expect(pkg.ddlguard).toEqual({ pgVersion: 15, baseline });
  });
});
