import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  didYouMean,
  durationToMs,
  loadConfig,
  parseConfigText,
  resolveSeverities,
  validateConfig,
  type DdlguardConfig,
} from '../../src/config/index.js';
import type { RuleMeta } from '../../src/lint/types.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/config/', import.meta.url));
const fx = (...p: string[]): string => path.join(FIXTURES, ...p);
const RULE_IDS = ['require-concurrent-index', 'ban-drop-column', 'adding-not-null-column'] as const;

const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-config-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));
function tmpTree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpRoot, 't-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

function syncError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: formats', () => {
  it('reads ddlguard.config.json with every key', async () => {
    const loaded = await loadConfig({ cwd: fx('json'), knownRuleIds: RULE_IDS });
    expect(loaded.path).toBe(fx('json', 'ddlguard.config.json'));
    expect(loaded.format).toBe('json');
    expect(loaded.dir).toBe(fx('json').replace(/[\\/]$/, ''));
    const expected: DdlguardConfig = {
      pgVersion: 16,
      migrations: ['db/migrations/*.sql'],
      history: ['db/history/**/*.sql'],
      assumeInTransaction: 'auto',
      rules: { 'require-concurrent-index': 'warning', 'ban-drop-column': 'off' },
      ignore: ['db/migrations/legacy/**'],
      severityThreshold: 'warning',
      readers: { paths: ['src/**/*.ts'], exclude: ['**/*.test.ts'] },
      planner: { smallTableRows: 10000, batchSize: 5000 },
      apply: { lockTimeout: '2s', maxLockTimeout: '10s', retries: 5, statementTimeout: '15min', batchTargetMs: 200 },
    };
    expect(loaded.config).toEqual(expected);
  });

  it('reads ddlguard.config.yaml', async () => {
    const loaded = await loadConfig({ cwd: fx('yaml'), knownRuleIds: RULE_IDS });
    expect(loaded.format).toBe('yaml');
    expect(loaded.config).toEqual({
      pgVersion: 15,
      migrations: ['migrations/*.up.sql'],
      assumeInTransaction: false,
      rules: { 'require-concurrent-index': 'error', 'ban-drop-column': 'info' },
      severityThreshold: 'error',
      readers: { paths: ['app/**/*.rb'] },
      apply: { lockTimeout: '500ms', retries: 3 },
    });
  });

  it('reads the "ddlguard" key of package.json', async () => {
    const loaded = await loadConfig({ cwd: fx('package'), knownRuleIds: RULE_IDS });
    expect(loaded.format).toBe('package.json');
    expect(loaded.path).toBe(fx('package', 'package.json'));
    expect(loaded.config).toEqual({ pgVersion: 14, migrations: ['sql/*.sql'], rules: { 'require-concurrent-index': 'info' } });
  });

  it('loads an explicit --config path relative to cwd, whatever its name', async () => {
    const dir = tmpTree({ 'conf/custom.yml': 'pgVersion: 12\n', 'ddlguard.config.json': '{"pgVersion": 18}' });
    const loaded = await loadConfig({ cwd: dir, configPath: 'conf/custom.yml' });
    expect(loaded.config).toEqual({ pgVersion: 12 });
    expect(loaded.dir).toBe(path.join(dir, 'conf'));
  });

  it('treats an empty YAML file as an empty configuration', () => {
    expect(parseConfigText('# nothing yet\n', { format: 'yaml' })).toEqual({});
  });
});

describe('loadConfig: discovery', () => {
  it('walks up from cwd to the nearest directory with a config', async () => {
    const loaded = await loadConfig({ cwd: fx('nested', 'a', 'b'), knownRuleIds: RULE_IDS });
    expect(loaded.path).toBe(fx('nested', 'ddlguard.config.yml'));
    expect(loaded.dir).toBe(fx('nested'));
    expect(loaded.config).toEqual({ pgVersion: 17, migrations: ['db/*.sql'] });
  });

  it('stops at the first directory that has one', async () => {
    const dir = tmpTree({
      'ddlguard.config.json': '{"pgVersion": 10}',
      'a/ddlguard.config.yaml': 'pgVersion: 11\n',
      'a/b/c/x.sql': 'SELECT 1;\n',
    });
    const loaded = await loadConfig({ cwd: path.join(dir, 'a', 'b', 'c') });
    expect(loaded.config.pgVersion).toBe(11);
    expect(loaded.path).toBe(path.join(dir, 'a', 'ddlguard.config.yaml'));
  });

  it('skips a package.json without a "ddlguard" key', async () => {
    const dir = tmpTree({ 'ddlguard.config.yml': 'pgVersion: 13\n', 'app/package.json': '{"name": "app"}' });
    const loaded = await loadConfig({ cwd: path.join(dir, 'app') });
    expect(loaded.path).toBe(path.join(dir, 'ddlguard.config.yml'));
    expect(loaded.config.pgVersion).toBe(13);
  });

  it('returns an empty config when nothing is found', async () => {
    // os.tmpdir() and its ancestors are not expected to hold a ddlguard config.
    const dir = tmpTree({ 'x.sql': 'SELECT 1;\n' });
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded).toEqual({ config: {}, path: null, format: null, dir });
  });

  it('rejects two configuration files in the same directory', async () => {
    const dir = tmpTree({ 'ddlguard.config.json': '{}', 'ddlguard.config.yaml': '{}\n' });
    const e = await configError(loadConfig({ cwd: dir }));
    expect(e.message).toMatch(/more than one ddlguard configuration.*ddlguard\.config\.json, ddlguard\.config\.yaml/);
  });

  it('reports a missing --config file', async () => {
    const dir = tmpTree({});
    const e = await configError(loadConfig({ cwd: dir, configPath: 'nope.json' }));
    expect(e.file).toBe(path.join(dir, 'nope.json'));
    expect(e.message).toBe('nope.json: cannot read config file: file not found');
  });

  it('rejects a --config file of an unknown kind', async () => {
    const dir = tmpTree({ 'ddlguard.toml': 'pgVersion = 16\n' });
    const e = await configError(loadConfig({ cwd: dir, configPath: 'ddlguard.toml' }));
    expect(e.message).toMatch(/unsupported config file name/);
  });
});

describe('loadConfig: errors with locations', () => {
  it('reports every problem of a YAML file with 1-based line and column', async () => {
    const e = await configError(loadConfig({ cwd: fx('yml-invalid'), knownRuleIds: RULE_IDS }));
    expect(e.file).toBe(fx('yml-invalid', 'ddlguard.config.yml'));
    const got = e.issues.map((i) => `${i.line}:${i.column} ${i.keyPath}: ${i.message}`);
    expect(got).toEqual([
      '2:12 pgVersion: expected an integer between 10 and 19, got "abc"',
      '5:5 migrations[1]: expected a string, got 42',
      '7:3 rules.require-concurent-index: unknown rule id (did you mean require-concurrent-index?)',
      '8:20 rules.ban-drop-column: expected one of "off", "info", "warning", "error", got "warn" (did you mean warning?)',
      '9:20 severityThreshold: expected one of "info", "warning", "error", got "fatal"',
      '11:14 planner.batchSize: expected an integer >= 1, got 0',
      '13:16 apply.lockTimeout: expected a duration such as "2s", "500ms" or "1min", got "soon"',
      '14:1 colour: unknown key',
    ]);
    // The fields describe the first issue (in file order); the message has one line per issue.
    expect(e.line).toBe(2);
    expect(e.column).toBe(12);
    expect(e.keyPath).toBe('pgVersion');
    expect(e.message.split('\n')).toHaveLength(8);
    expect(e.message.split('\n')[0]).toBe('ddlguard.config.yml:2:12: pgVersion: expected an integer between 10 and 19, got "abc"');
    expect(e.message).toContain('ddlguard.config.yml:7:3: rules.require-concurent-index: unknown rule id (did you mean require-concurrent-index?)');
  });

  it('locates problems in JSON files', async () => {
    const dir = tmpTree({
      'ddlguard.config.json': '{\n  "pgVersion": 16,\n  "migration": ["a.sql"],\n\t"rules": {\n\t\t"require-concurent-index": "error"\n\t}\n}\n',
    });
    const e = await configError(loadConfig({ cwd: dir, knownRuleIds: RULE_IDS }));
    expect(e.issues.map((i) => [i.line, i.column, i.keyPath, i.message])).toEqual([
      [3, 3, 'migration', 'unknown key (did you mean migrations?)'],
      [5, 3, 'rules.require-concurent-index', 'unknown rule id (did you mean require-concurrent-index?)'],
    ]);
    expect(e.message).toBe(
      'ddlguard.config.json:3:3: migration: unknown key (did you mean migrations?)\n' +
        'ddlguard.config.json:5:3: rules.require-concurent-index: unknown rule id (did you mean require-concurrent-index?)',
    );
  });

  it('locates problems under package.json\'s "ddlguard" key', async () => {
    const dir = tmpTree({ 'package.json': '{\n  "name": "x",\n  "ddlguard": {\n    "pgVersion": 9\n  }\n}\n' });
    const e = await configError(loadConfig({ cwd: dir }));
    expect(e.message).toBe('package.json:4:18: pgVersion: expected an integer between 10 and 19, got 9');
  });

  it('reports JSON syntax errors with a position', async () => {
    const dir = tmpTree({ 'ddlguard.config.json': '{\n  "pgVersion": 16,\n}\n' });
    const e = await configError(loadConfig({ cwd: dir }));
    expect(e.line).toBe(3);
    expect(e.column).toBe(1);
    expect(e.message).toMatch(/^ddlguard\.config\.json:3:1: invalid JSON: /);
  });

  it('reports YAML syntax errors and duplicate keys with a position', async () => {
    const dir = tmpTree({ 'ddlguard.config.yaml': 'pgVersion: 16\nrules:\n  a: off\n  a: error\n' });
    const e = await configError(loadConfig({ cwd: dir }));
    expect(e.line).toBe(4);
    expect(e.column).toBe(3);
    expect(e.message).toMatch(/^ddlguard\.config\.yaml:4:3: invalid YAML: Map keys must be unique$/);

    const bad = tmpTree({ 'ddlguard.config.yml': 'migrations: [a.sql\npgVersion: 16\n' });
    const e2 = await configError(loadConfig({ cwd: bad }));
    expect(e2.line).toBeGreaterThanOrEqual(1);
    expect(e2.message).toMatch(/invalid YAML/);
  });

  it('requires an object at the top level', () => {
    const e = syncError(() => parseConfigText('- a\n- b\n', { format: 'yaml', file: '/x/ddlguard.config.yaml', displayFile: 'ddlguard.config.yaml' }));
    expect(e.message).toBe('ddlguard.config.yaml:1:1: expected an object, got an array');
  });
});

describe('validateConfig', () => {
  const bad = (value: unknown): string[] => syncError(() => validateConfig(value, { knownRuleIds: RULE_IDS })).issues.map((i) => `${i.keyPath ?? ''}: ${i.message}`);

  it('accepts an empty object and every valid assumeInTransaction', () => {
    expect(validateConfig({})).toEqual({});
    for (const v of [true, false, 'auto'] as const) expect(validateConfig({ assumeInTransaction: v })).toEqual({ assumeInTransaction: v });
  });

  it('rejects unknown top-level keys but tolerates $schema', () => {
    expect(validateConfig({ $schema: 'x' })).toEqual({});
    expect(bad({ pgversion: 16 })).toEqual(['pgversion: unknown key (did you mean pgVersion?)']);
    expect(bad({ whatever: 1 })).toEqual(['whatever: unknown key']);
  });

  it('checks pgVersion range and type', () => {
    expect(validateConfig({ pgVersion: 10 }).pgVersion).toBe(10);
    expect(validateConfig({ pgVersion: 19 }).pgVersion).toBe(19);
    expect(bad({ pgVersion: 'abc' })).toEqual(['pgVersion: expected an integer between 10 and 19, got "abc"']);
    expect(bad({ pgVersion: 20 })).toEqual(['pgVersion: expected an integer between 10 and 19, got 20']);
    expect(bad({ pgVersion: 16.5 })).toEqual(['pgVersion: expected an integer between 10 and 19, got 16.5']);
    expect(bad({ pgVersion: '16' })).toEqual(['pgVersion: expected an integer between 10 and 19, got "16"']);
  });

  it('checks string arrays', () => {
    expect(bad({ migrations: 'a.sql' })).toEqual(['migrations: expected an array of strings, got "a.sql"']);
    expect(bad({ history: [''] })).toEqual(['history[0]: expected a non-empty string']);
    expect(bad({ ignore: [{}] })).toEqual(['ignore[0]: expected a string, got an object']);
  });

  it('checks rules against the known ids and severities', () => {
    expect(bad({ rules: { 'require-concurent-index': 'error' } })).toEqual(['rules.require-concurent-index: unknown rule id (did you mean require-concurrent-index?)']);
    expect(bad({ rules: { 'totally-different': 'error' } })).toEqual(['rules.totally-different: unknown rule id']);
    expect(bad({ rules: { 'ban-drop-column': 2 } })).toEqual(['rules.ban-drop-column: expected one of "off", "info", "warning", "error", got 2']);
    expect(bad({ rules: ['ban-drop-column'] })).toEqual(['rules: expected an object mapping rule ids to "off", "info", "warning" or "error", got an array']);
    // Without a list, any id is accepted (only the severity is checked).
    expect(validateConfig({ rules: { anything: 'off' } })).toEqual({ rules: { anything: 'off' } });
  });

  it('checks the schema source, small-table, size-grading and estimate keys', () => {
    expect(validateConfig({ db: '${DATABASE_URL}', schema: 'schema.json', planner: { smallTable: { rows: 5000, bytes: '1GB' } }, severityBySize: { infoBelowRows: 100, infoBelowBytes: 8192 }, estimates: { rewriteBytesPerSec: 1e8, source: 'staging' } })).toEqual({
      db: '${DATABASE_URL}',
      schema: 'schema.json',
      planner: { smallTable: { rows: 5000, bytes: 1024 ** 3 } },
      severityBySize: { infoBelowRows: 100, infoBelowBytes: 8192 },
      estimates: { rewriteBytesPerSec: 1e8, source: 'staging' },
    });
    expect(bad({ db: '', planner: { smallTable: { bytes: '1 gigabyte' } }, severityBySize: { infoBelowRow: 1 }, estimates: { rewriteBytesPerSecond: 1, scanBytesPerSec: 0 } })).toEqual([
      'planner.smallTable.bytes: expected a size such as "64MB", "1GB" or a number of bytes, got "1 gigabyte"',
      'db: expected a non-empty string, got ""',
      'estimates.rewriteBytesPerSecond: unknown key (did you mean rewriteBytesPerSec?)',
      'estimates.scanBytesPerSec: expected a positive number, got 0',
      'severityBySize.infoBelowRow: unknown key (did you mean infoBelowRows?)',
    ]);
  });

  it('checks readers, planner and apply', () => {
    expect(bad({ readers: { exclude: [] } })).toEqual(['readers: missing required key "paths"']);
    expect(bad({ readers: { paths: ['a'], path: ['b'] } })).toEqual(['readers.path: unknown key (did you mean paths?)']);
    expect(bad({ planner: { smallTableRows: -1, batchSize: 1.5 } })).toEqual([
      'planner.smallTableRows: expected an integer >= 0, got -1',
      'planner.batchSize: expected an integer >= 1, got 1.5',
    ]);
    expect(bad({ apply: { lockTimeout: 2000, retries: -1, batchTargetMs: 0 } })).toEqual([
      'apply.lockTimeout: expected a duration such as "2s", "500ms" or "1min", got 2000',
      'apply.retries: expected an integer >= 0, got -1',
      'apply.batchTargetMs: expected an integer >= 1, got 0',
    ]);
    expect(bad({ apply: { lockTimeout: '1min', maxLockTimeout: '10s' } })).toEqual(['apply.lockTimeout: "1min" is longer than apply.maxLockTimeout ("10s")']);
    expect(bad({ apply: 'fast' })).toEqual(['apply: expected an object, got "fast"']);
  });

  it('quotes odd keys in key paths', () => {
    expect(bad({ rules: { 'a.b': 'off' } })).toEqual(['rules["a.b"]: unknown rule id']);
  });
});

describe('helpers', () => {
  it('durationToMs', () => {
    expect(durationToMs('2s')).toBe(2000);
    expect(durationToMs('500ms')).toBe(500);
    expect(durationToMs('1min')).toBe(60_000);
    expect(durationToMs('1.5h')).toBe(5_400_000);
    expect(durationToMs('250')).toBe(250);
    expect(durationToMs('soon')).toBeNull();
  });

  it('didYouMean', () => {
    expect(didYouMean('require-concurent-index', RULE_IDS)).toBe('require-concurrent-index');
    expect(didYouMean('warn', ['off', 'info', 'warning', 'error'])).toBe('warning');
    expect(didYouMean('zzz', ['off', 'info', 'warning', 'error'])).toBeUndefined();
  });

  it('resolveSeverities layers defaults, config and overrides', () => {
    const meta = (id: string, defaultSeverity: RuleMeta['defaultSeverity']): RuleMeta => ({
      id,
      category: 'blocking',
      defaultSeverity,
      summary: '',
      lock: '',
      docs: { description: '', bad: '', good: '', links: [] },
    });
    const s = resolveSeverities([meta('a', 'error'), meta('b', 'warning'), meta('c', 'off')], { b: 'off', c: 'info' }, { c: 'error' });
    expect([...s]).toEqual([
      ['a', 'error'],
      ['b', 'off'],
      ['c', 'error'],
    ]);
  });
});
