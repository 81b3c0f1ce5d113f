/** The fleet file's validation (file:line:column per problem), wave assignment, stored URLs, gates' arithmetic and the progress lines: no database. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseFleetText } from '../../src/fleet/file.js';
import { FleetError } from '../../src/fleet/errors.js';
import { allowedFailures, verdict } from '../../src/fleet/gates.js';
import { renderWaves } from '../../src/fleet/progress.js';
import { interpolate, Redactor, storedUrl } from '../../src/fleet/secrets.js';
import type { FleetTarget, TargetRecord } from '../../src/fleet/types.js';
import { DEFAULT_GATES } from '../../src/fleet/types.js';
import { assignWaves } from '../../src/fleet/waves.js';

const yaml = (text: string) => parseFleetText(text, { displayFile: 'fleet.yaml', format: 'yaml' });
const errorsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError || e instanceof FleetError) return e.message.split('\n');
    throw e;
  }
  throw new Error('expected an error');
};

const GOOD = `targets:
  - { name: internal, url: "postgres://app:\${PW}@db1/tenant_internal" }
  - { name: acme, url: postgres://app@db1/tenant_acme }
schemas: { url: postgres://app@db2/app, match: 'tenant_%' }
targetsQuery: { url: postgres://app@registry/registry, sql: "SELECT name, url FROM tenants WHERE active" }
waves:
  - { name: canary, targets: [internal] }
  - { name: early, percent: 10 }
  - { name: rest, percent: 100 }
concurrency: 8
gates:
  maxFailed: '5%'
  soak: 60s
  checks: ["SELECT count(*) = 0 FROM accounts WHERE public_id IS NULL"]
  pause: [canary]
`;

function targets(n: number, prefix = 't'): FleetTarget[] {
  return Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i + 1}`, storedUrl: 'postgres://h/d', connectUrl: 'postgres://h/d', schema: null, searchPath: null, source: 'test' }));
}

describe('fleet file', () => {
  it('reads the contract of the issue, sources in the order the file gives them', () => {
    const spec = yaml(GOOD);
    expect(spec.sources.map((s) => s.kind)).toEqual(['targets', 'schemas', 'query']);
    expect(spec.concurrency).toBe(8);
    expect(spec.gates).toMatchObject({ maxFailed: '5%', soakMs: 60_000, checks: ['SELECT count(*) = 0 FROM accounts WHERE public_id IS NULL'] });
    expect(spec.waves.map((w) => [w.name, w.gates.pause ?? false])).toEqual([
      ['canary', true],
      ['early', false],
      ['rest', false],
    ]);
    expect(spec.waves[1]!.select).toEqual({ percent: 10 });
    const t = spec.sources[0]!;
    expect(t.kind === 'targets' && t.targets[0]!.at).toBe('fleet.yaml:2:5');
    expect(spec.passwords).toBe('strip');
  });

  it('reports every problem with file:line:column and the key, in file order', () => {
    const text = `targets:
  - { name: a, url: "mysql://root:hunter2@h/x" }
  - { name: b }
waves:
  - { name: canary, targets: [a], percent: 10 }
  - { name: early, percent: 60 }
  - { name: late, percent: 40 }
  - { name: late, count: 0 }
concurency: 4
gates:
  maxFailed: lots
  soak: soon
  pause: [canry]
`;
    const errs = errorsOf(() => yaml(text));
    expect(errs).toEqual([
      'fleet.yaml:2:21: targets[0].url: expected a postgres:// or postgresql:// URL (or "${VAR}" naming one)',
      'fleet.yaml:3:5: targets[1]: missing required key "url"',
      'fleet.yaml:5:5: waves[0]: a wave takes one of targets, percent or count, not targets and percent',
      'fleet.yaml:7:28: waves[2].percent: percentages are cumulative (the share of all targets done once the wave ends): 40 after 60',
      'fleet.yaml:8:13: waves[3].name: wave "late" is already waves[2]',
      'fleet.yaml:8:26: waves[3].count: expected an integer >= 1, got 0',
      'fleet.yaml:9:1: concurency: unknown key (did you mean concurrency?)',
      'fleet.yaml:11:14: gates.maxFailed: expected a number of targets (0, 3) or a percentage ("5%"), got "lots"',
      'fleet.yaml:12:9: gates.soak: expected a duration such as "60s", "500ms" or "5min", got "soon"',
      'fleet.yaml:13:11: gates.pause[0]: no wave named "canry" (did you mean canary?)',
    ]);
    // The URL's password is never echoed.
    expect(errs.join('\n')).not.toContain('hunter2');
  });

  it('needs targets and waves; JSON errors have their line too', () => {
    expect(errorsOf(() => yaml('concurrency: 2\n'))).toEqual([
      'fleet.yaml:1:1: no targets: give targets (a database per tenant), schemas (a schema per tenant) or targetsQuery (a tenant registry)',
      'fleet.yaml:1:1: missing required key "waves" (e.g. [{ name: canary, targets: [internal] }, { name: rest, percent: 100 }])',
    ]);
    expect(errorsOf(() => parseFleetText('{\n  "targets": [\n    { "name": "a", }\n  ]\n}', { displayFile: 'fleet.json', format: 'json' }))[0]).toMatch(/^fleet\.json:3:\d+: invalid JSON/);
    expect(errorsOf(() => parseFleetText('{\n  "targets": [{ "name": "a", "url": "postgres://h/d" }],\n  "waves": [{ "name": "all", "percent": "100%" }],\n  "lease": "1ms"\n}', { displayFile: 'fleet.json', format: 'json' }))).toEqual([
      'fleet.json:4:12: lease: a lease shorter than 1s would expire between renewals',
    ]);
    expect(errorsOf(() => yaml('targets: [{ name: a, url: postgres://h/d }]\nwaves: [{ name: w, percent: 100 }\n'))[0]).toMatch(/^fleet\.yaml:3:1: invalid YAML: Flow sequence/);
  });
});

describe('waves', () => {
  const spec = (waves: string) => yaml(`targets: [{ name: x, url: postgres://h/d }]\nwaves:\n${waves}`);

  it('takes named targets (and globs), then cumulative percentages rounded up, in target order', () => {
    const s = spec(`  - { name: canary, targets: [t3, 'x*'] }\n  - { name: early, percent: 25 }\n  - { name: more, count: 2 }\n  - { name: rest, percent: 100 }\n`);
    const ts = [...targets(10), ...targets(2, 'x')];
    const w = assignWaves(s, ts);
    expect(w.map((x) => [x.name, x.targets.map((t) => t.name)])).toEqual([
      ['canary', ['t3', 'x1', 'x2']],
      // 25 % of 12 is 3 targets in all: the canary already has them.
      ['early', []],
      ['more', ['t1', 't2']],
      ['rest', ['t4', 't5', 't6', 't7', 't8', 't9', 't10']],
    ]);
    // A small fleet: every wave above 0 % gets at least one target.
    const small = assignWaves(spec(`  - { name: a, percent: 1 }\n  - { name: b, percent: 100 }\n`), targets(3));
    expect(small.map((x) => x.targets.length)).toEqual([1, 2]);
  });

  it('names the target it cannot find and the ones no wave takes', () => {
    expect(errorsOf(() => assignWaves(spec(`  - { name: canary, targets: [t33] }\n  - { name: rest, percent: 100 }\n`), targets(5)))).toEqual(['fleet.yaml:3:31: waves: no target named "t33" (did you mean t3?)']);
    expect(errorsOf(() => assignWaves(spec(`  - { name: canary, targets: [t1] }\n  - { name: early, percent: 50 }\n`), targets(10)))).toEqual([
      'fleet.yaml:2:1: waves: 5 of 10 targets are in no wave (t6, t7, t8, t9, t10); end with a wave of percent: 100',
    ]);
    expect(errorsOf(() => assignWaves(spec(`  - { name: a, targets: [t1] }\n  - { name: b, targets: [t1] }\n  - { name: rest, percent: 100 }\n`), targets(2)))).toEqual(['fleet.yaml:4:26: waves: target "t1" is already in wave "a"']);
  });
});

describe('secrets', () => {
  it('stores URLs without literal passwords, ${VAR} as written', () => {
    expect(storedUrl('postgres://app:s3cret@h:5432/db?sslmode=require', 'strip')).toEqual({ url: 'postgres://app@h:5432/db?sslmode=require', stripped: true });
    expect(storedUrl('postgres://app:${PW}@h/db', 'strip')).toEqual({ url: 'postgres://app:${PW}@h/db', stripped: false });
    expect(storedUrl('postgres://app@h/db?password=s3cret&sslmode=require', 'strip')).toEqual({ url: 'postgres://app@h/db?sslmode=require', stripped: true });
    expect(storedUrl('postgres://app:s3cret@h/db', 'store')).toEqual({ url: 'postgres://app:s3cret@h/db', stripped: false });
    expect(storedUrl('${TENANT_URL}', 'strip')).toEqual({ url: '${TENANT_URL}', stripped: false });
  });

  it('interpolates from the environment and says which variable is missing', () => {
    expect(interpolate('postgres://a:${PW}@h/$DB', { PW: 'x', DB: 'd' }, 'here')).toBe('postgres://a:x@h/d');
    expect(() => interpolate('postgres://a:${NOPE}@h/d', {}, 'fleet.yaml:3:5: url')).toThrow('fleet.yaml:3:5: url: environment variable NOPE is not set');
  });

  it('scrubs every registered secret from text and values', () => {
    const r = new Redactor();
    r.add('postgres://app:Sup3r-S3cret@h/db');
    expect(r.text('failed: password Sup3r-S3cret rejected')).toBe('failed: password *** rejected');
    expect(r.deep({ a: ['x Sup3r-S3cret'], b: { c: 'postgres://u:other@h/d' } })).toEqual({ a: ['x ***'], b: { c: 'postgres://u:***@h/d' } });
    expect(r.url('postgres://app:Sup3r-S3cret@h/db')).toBe('postgres://app:***@h/db');
  });
});

describe('gates', () => {
  const rec = (target: string, status: TargetRecord['status'], extra: Partial<TargetRecord> = {}): TargetRecord => ({
    target, wave: 1, ordinal: 0, url: '', dbName: null, schema: null, searchPath: null, stateKey: 'p', status, claims: 1, worker: null, leaseUntil: null, claimedAt: null,
    currentStep: null, stepsDone: [], ran: [], failedStep: null, error: null, sqlstate: null, checkError: null, startedAt: null, finishedAt: null, elapsedMs: 0, ...extra,
  });

  it('counts failures against a count or a percentage of the wave', () => {
    expect(allowedFailures(0, 100)).toBe(0);
    expect(allowedFailures(3, 10)).toBe(3);
    expect(allowedFailures('5%', 40)).toBe(2);
    expect(allowedFailures('5%', 19)).toBe(0);
    expect(allowedFailures('100%', 7)).toBe(7);
  });

  it('names the failed targets, their step and error, and the targets a check failed on', () => {
    const ts = [rec('a', 'done'), rec('b', 'failed', { failedStep: 's2', error: 'boom' }), rec('c', 'done'), rec('d', 'pending')];
    const v = verdict('early', { ...DEFAULT_GATES, maxFailed: 1 }, ts, [{ target: 'a', check: 'SELECT true', ok: true }, { target: 'c', check: 'SELECT x', ok: false, error: 'returned false' }], 'after soak');
    expect(v.passed).toBe(false);
    expect(v.failed).toEqual(['b']);
    expect(v.checkFailed).toEqual(['c']);
    expect(v.reason).toBe('wave early failed its gates after the soak (maxFailed 1): 1 of 4 targets failed: b (s2: boom); a check failed on 1 target: c (SELECT x: returned false); 1 not started');
    expect(verdict('early', { ...DEFAULT_GATES, maxFailed: '50%' }, ts.slice(0, 3), [], 'first').passed).toBe(true);
  });
});

describe('progress', () => {
  it('draws a line per wave: done, failed, running, pending, and the slowest target', () => {
    const lines = renderWaves(
      [
        { wave: 0, name: 'canary', status: 'passed', total: 1, pending: 0, running: 0, done: 1, failed: 0, slowest: { target: 'internal', ms: 1200, step: null, running: false } },
        { wave: 1, name: 'early', status: 'running', total: 10, pending: 3, running: 4, done: 2, failed: 1, slowest: { target: 'acme', ms: 65_000, step: '0002-backfill', running: true } },
        { wave: 2, name: 'rest', status: 'pending', total: 0, pending: 0, running: 0, done: 0, failed: 0, slowest: null },
      ],
      10,
    );
    expect(lines).toEqual([
      '  canary  passed   [##########] 1/1 done, 0 running, 0 failed  slowest: internal 1.2s',
      '  early   running  [##x>>>>...] 2/10 done, 4 running, 1 failed  slowest: acme 1m05s (0002-backfill)',
      '  rest    pending  [..........] no targets',
    ]);
  });
});
