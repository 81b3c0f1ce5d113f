/**
 * The fleet file (YAML or JSON): read, parse and validate it the way the config is
 * (src/config): every problem at once, each as `file:line:column: key.path: problem`.
 * Targets from `schemas` and `targetsQuery` are only known once resolved (./targets.ts),
 * so the entries that name them carry their location for the errors found then.
 */
import path from 'node:path';
import { displayPath, jsonLocator, parseJson, parseYaml, readSourceText, type KeyPath, type Locator } from '../config/locate.js';
import { describeValue as describeRaw, didYouMean, hint, Validator } from '../config/validator.js';
import { redactText } from '../db/connection.js';
import { durationToMs } from '../sql/duration.js';
import { DEFAULT_GATES, type FleetApplyConfig, type FleetSpec, type Gates, type PasswordPolicy, type SchemasSpec, type TargetSpec, type WaveSpec } from './types.js';

export const FLEET_KEYS = ['run', 'control', 'targets', 'schemas', 'targetsQuery', 'waves', 'concurrency', 'gates', 'lease', 'passwords', 'apply'] as const;
const TARGET_KEYS = ['name', 'url', 'schema', 'searchPath'] as const;
const SCHEMAS_KEYS = ['url', 'match', 'exclude', 'searchPath'] as const;
const QUERY_KEYS = ['url', 'sql'] as const;
const GATE_KEYS = ['maxFailed', 'soak', 'checks', 'checkTimeout', 'pause'] as const;
const WAVE_KEYS = ['name', 'targets', 'percent', 'count', 'maxFailed', 'soak', 'checks', 'checkTimeout', 'pause'] as const;
const APPLY_KEYS = ['phase', 'yes', 'allowBlocking', 'lockTimeout', 'maxLockTimeout', 'statementTimeout', 'retries', 'batchTargetMs', 'killBlockersAfter', 'lockWait'] as const;
const PHASES = ['expand', 'migrate', 'contract', 'all'] as const;

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_LEASE_MS = 60_000;

/** A value as messages quote it, with any URL's password masked (a misplaced URL must not be echoed whole). */
const describeValue = (v: unknown): string => redactText(describeRaw(v));

/** Reads and validates a fleet file. Throws ConfigError (file:line:column per problem). */
export async function loadFleetFile(file: string, cwd: string = process.cwd()): Promise<FleetSpec> {
  const abs = path.resolve(cwd, file);
  const display = displayPath(abs, cwd);
  const text = await readSourceText(abs, { file: abs, displayFile: display }, 'fleet file');
  return parseFleetText(text, { file: abs, displayFile: display, format: abs.toLowerCase().endsWith('.json') ? 'json' : 'yaml' });
}

export function parseFleetText(text: string, opts: { file?: string; displayFile: string; format: 'json' | 'yaml' }): FleetSpec {
  const where = { ...(opts.file !== undefined ? { file: opts.file } : {}), displayFile: opts.displayFile };
  const parsed = opts.format === 'json' ? { value: parseJson(text, where), locate: jsonLocator(text) } : parseYaml(text, where);
  return validateFleet(parsed.value, { ...where, locate: parsed.locate });
}

/** The config's checks, plus the fleet file's own kinds of value. */
class Checker extends Validator {
  constructor(o: { file?: string; displayFile: string; locate?: Locator }) {
    super({ ...o, describe: describeValue });
  }

  /** A duration in milliseconds (0 is none). */
  ms(p: KeyPath, v: unknown): number | undefined {
    if (v === 0) return 0;
    const d = this.duration(p, v, '"60s", "500ms" or "5min"');
    return d === undefined ? undefined : durationToMs(d)!;
  }

  /** A connection URL (postgres:// or postgresql://), or one `${VAR}` standing for all of it. */
  url(p: KeyPath, v: unknown): string | undefined {
    const s = this.string(p, v);
    if (s === undefined) return undefined;
    if (/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(s.trim())) return s.trim();
    if (!/^postgres(?:ql)?:\/\//i.test(s)) {
      // Never echo the value: it may hold a password.
      this.report(p, 'value', 'expected a postgres:// or postgresql:// URL (or "${VAR}" naming one)');
      return undefined;
    }
    return s;
  }

  /** A target count or a percentage: 0, 3, "5%". */
  countOrPercent(p: KeyPath, v: unknown): number | string | undefined {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    if (typeof v === 'string' && /^\s*\d+(?:\.\d+)?\s*%\s*$/.test(v) && Number.parseFloat(v) <= 100) return `${Number.parseFloat(v)}%`;
    this.report(p, 'value', `expected a number of targets (0, 3) or a percentage ("5%"), got ${describeValue(v)}`);
    return undefined;
  }

  percent(p: KeyPath, v: unknown): number | undefined {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(?:\.\d+)?\s*%?\s*$/.test(v) ? Number.parseFloat(v) : NaN;
    if (Number.isFinite(n) && n > 0 && n <= 100) return n;
    this.report(p, 'value', `expected a percentage of the targets above 0 and at most 100 (10, "25%"), got ${describeValue(v)}`);
    return undefined;
  }
}

/** A key that may be one object or a list of them (`schemas`, `targetsQuery`). */
function oneOrMany(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

export function validateFleet(value: unknown, opts: { file?: string; displayFile: string; locate?: Locator }): FleetSpec {
  const c = new Checker(opts);
  const spec: FleetSpec = {
    file: opts.displayFile,
    sources: [],
    waves: [],
    concurrency: DEFAULT_CONCURRENCY,
    gates: { ...DEFAULT_GATES },
    leaseMs: DEFAULT_LEASE_MS,
    passwords: 'strip',
    apply: {},
    wavesAt: c.at(['waves'], 'key'),
  };
  const raw = c.object([], value ?? {}, FLEET_KEYS);
  if (raw) {
    if (raw.run !== undefined) {
      const r = c.string(['run'], raw.run);
      if (r !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,199}$/.test(r)) c.report(['run'], 'value', 'a run id is letters, digits and _ . : @ - (at most 200)');
      else if (r !== undefined) spec.run = r;
    }
    if (raw.control !== undefined) {
      const u = c.url(['control'], raw.control);
      if (u !== undefined) spec.control = u;
    }
    // Sources, in the order the file lists them: targets are ordered by it.
    for (const key of Object.keys(raw)) {
      if (key === 'targets') {
        const list = raw.targets;
        if (!Array.isArray(list) || list.length === 0) {
          c.report(['targets'], 'value', `expected a non-empty list of { name, url }, got ${describeValue(list)}`);
          continue;
        }
        const targets: TargetSpec[] = [];
        list.forEach((t, i) => {
          const p: KeyPath = ['targets', i];
          const o = c.object(p, t, TARGET_KEYS, ['name', 'url']);
          if (!o) return;
          const name = o.name === undefined ? undefined : c.string([...p, 'name'], o.name);
          const url = o.url === undefined ? undefined : c.url([...p, 'url'], o.url);
          const schema = o.schema === undefined ? undefined : c.string([...p, 'schema'], o.schema);
          const searchPath = o.searchPath === undefined ? undefined : c.strings([...p, 'searchPath'], o.searchPath);
          if (name === undefined || url === undefined) return;
          const spec: TargetSpec = { name, url, at: c.at(p) };
          if (schema !== undefined) spec.schema = schema;
          if (searchPath !== undefined) spec.searchPath = searchPath;
          if (searchPath !== undefined && schema === undefined) c.report([...p, 'searchPath'], 'key', 'searchPath needs schema (the tenant schema it puts first)');
          targets.push(spec);
        });
        spec.sources.push({ kind: 'targets', targets });
      } else if (key === 'schemas') {
        oneOrMany(raw.schemas).forEach((s, i) => {
          const p: KeyPath = Array.isArray(raw.schemas) ? ['schemas', i] : ['schemas'];
          const o = c.object(p, s, SCHEMAS_KEYS, ['url', 'match']);
          if (!o) return;
          const url = o.url === undefined ? undefined : c.url([...p, 'url'], o.url);
          const match = o.match === undefined ? undefined : c.string([...p, 'match'], o.match);
          const exclude = o.exclude === undefined ? [] : c.strings([...p, 'exclude'], o.exclude);
          const searchPath = o.searchPath === undefined ? ['{schema}', 'public'] : c.strings([...p, 'searchPath'], o.searchPath);
          if (searchPath && !searchPath.includes('{schema}')) c.report([...p, 'searchPath'], 'value', 'searchPath must name {schema} (the tenant schema)');
          if (url === undefined || match === undefined || !exclude || !searchPath) return;
          const sp: SchemasSpec = { url, match, exclude, searchPath, at: c.at(p) };
          spec.sources.push({ kind: 'schemas', spec: sp });
        });
      } else if (key === 'targetsQuery') {
        oneOrMany(raw.targetsQuery).forEach((q, i) => {
          const p: KeyPath = Array.isArray(raw.targetsQuery) ? ['targetsQuery', i] : ['targetsQuery'];
          const o = c.object(p, q, QUERY_KEYS, ['url', 'sql']);
          if (!o) return;
          const url = o.url === undefined ? undefined : c.url([...p, 'url'], o.url);
          const sql = o.sql === undefined ? undefined : c.string([...p, 'sql'], o.sql);
          if (url !== undefined && sql !== undefined) spec.sources.push({ kind: 'query', spec: { url, sql, at: c.at([...p, 'sql']) } });
        });
      }
    }
    if (raw.targets === undefined && raw.schemas === undefined && raw.targetsQuery === undefined) {
      c.report([], 'value', 'no targets: give targets (a database per tenant), schemas (a schema per tenant) or targetsQuery (a tenant registry)');
    }
    if (raw.concurrency !== undefined) {
      const n = c.int(['concurrency'], raw.concurrency, 1, 1000);
      if (n !== undefined) spec.concurrency = n;
    }
    if (raw.lease !== undefined) {
      const ms = c.ms(['lease'], raw.lease);
      if (ms !== undefined && ms < 1000) c.report(['lease'], 'value', 'a lease shorter than 1s would expire between renewals');
      else if (ms !== undefined) spec.leaseMs = ms;
    }
    if (raw.passwords !== undefined) {
      if (raw.passwords === 'strip' || raw.passwords === 'store') spec.passwords = raw.passwords as PasswordPolicy;
      else c.report(['passwords'], 'value', `expected "strip" (the control database never holds a literal password) or "store", got ${describeValue(raw.passwords)}`);
    }
    let pauseNames: Array<{ name: string; i: number }> = [];
    if (raw.gates !== undefined) {
      const g = c.object(['gates'], raw.gates, GATE_KEYS);
      if (g) {
        Object.assign(spec.gates, gateValues(c, ['gates'], g));
        if (g.pause !== undefined) {
          const names = c.strings(['gates', 'pause'], g.pause);
          if (names) pauseNames = names.map((name, i) => ({ name, i }));
        }
      }
    }
    if (raw.waves === undefined) c.report([], 'value', 'missing required key "waves" (e.g. [{ name: canary, targets: [internal] }, { name: rest, percent: 100 }])');
    else if (!Array.isArray(raw.waves) || raw.waves.length === 0) c.report(['waves'], 'value', `expected a non-empty list of waves, got ${describeValue(raw.waves)}`);
    else {
      const seen = new Map<string, number>();
      /** Index in the file of each accepted wave (an invalid one is left out of spec.waves). */
      const index = new Map<WaveSpec, number>();
      raw.waves.forEach((w, i) => {
        const p: KeyPath = ['waves', i];
        const o = c.object(p, w, WAVE_KEYS, ['name']);
        if (!o) return;
        const name = o.name === undefined ? undefined : c.string([...p, 'name'], o.name);
        if (name !== undefined && seen.has(name)) c.report([...p, 'name'], 'value', `wave "${name}" is already waves[${seen.get(name)}]`);
        if (name !== undefined) seen.set(name, i);
        const picks = (['targets', 'percent', 'count'] as const).filter((k) => o[k] !== undefined);
        if (picks.length !== 1) {
          c.report(p, 'value', picks.length === 0 ? 'a wave needs one of targets (names), percent or count' : `a wave takes one of targets, percent or count, not ${picks.join(' and ')}`);
          return;
        }
        let select: WaveSpec['select'] | undefined;
        if (o.targets !== undefined) {
          const names = c.strings([...p, 'targets'], o.targets);
          if (names && names.length === 0) c.report([...p, 'targets'], 'value', 'expected at least one target name');
          else if (names) select = { targets: names.map((pattern, j) => ({ pattern, at: c.at([...p, 'targets', j]) })) };
        } else if (o.percent !== undefined) {
          const n = c.percent([...p, 'percent'], o.percent);
          if (n !== undefined) select = { percent: n };
        } else {
          const n = c.int([...p, 'count'], o.count, 1);
          if (n !== undefined) select = { count: n };
        }
        const gates = gateValues(c, p, o);
        if (o.pause !== undefined) {
          const b = c.bool([...p, 'pause'], o.pause);
          if (b !== undefined) gates.pause = b;
        }
        if (name !== undefined && select) {
          const wave: WaveSpec = { name, select, gates, at: c.at(p) };
          index.set(wave, i);
          spec.waves.push(wave);
        }
      });
      const percents = spec.waves.flatMap((w) => ('percent' in w.select ? [{ w, n: w.select.percent }] : []));
      for (let k = 1; k < percents.length; k++) {
        if (percents[k]!.n < percents[k - 1]!.n) {
          const i = index.get(percents[k]!.w)!;
          c.report(['waves', i, 'percent'], 'value', `percentages are cumulative (the share of all targets done once the wave ends): ${percents[k]!.n} after ${percents[k - 1]!.n}`);
        }
      }
      for (const { name, i } of pauseNames) {
        const wave = spec.waves.find((w) => w.name === name);
        if (!wave) c.report(['gates', 'pause', i], 'value', `no wave named "${name}"${hint(didYouMean(name, [...seen.keys()]))}`);
        else if (wave.gates.pause === undefined) wave.gates.pause = true;
      }
    }
    if (raw.apply !== undefined) {
      const a = c.object(['apply'], raw.apply, APPLY_KEYS);
      if (a) spec.apply = applyValues(c, a);
    }
  }
  c.finish();
  return spec;
}

function gateValues(c: Checker, p: KeyPath, o: Record<string, unknown>): Partial<Gates> {
  const out: Partial<Gates> = {};
  if (o.maxFailed !== undefined) {
    const v = c.countOrPercent([...p, 'maxFailed'], o.maxFailed);
    if (v !== undefined) out.maxFailed = v;
  }
  if (o.soak !== undefined) {
    const v = c.ms([...p, 'soak'], o.soak);
    if (v !== undefined) out.soakMs = v;
  }
  if (o.checkTimeout !== undefined) {
    const v = c.ms([...p, 'checkTimeout'], o.checkTimeout);
    if (v !== undefined) out.checkTimeoutMs = v;
  }
  if (o.checks !== undefined) {
    const v = c.strings([...p, 'checks'], o.checks);
    if (v !== undefined) out.checks = v;
  }
  return out;
}

function applyValues(c: Checker, a: Record<string, unknown>): FleetApplyConfig {
  const out: FleetApplyConfig = {};
  if (a.phase !== undefined) {
    const phase = c.oneOf(['apply', 'phase'], a.phase, PHASES);
    if (phase !== undefined) out.phase = phase;
  }
  if (a.yes !== undefined) {
    const b = c.bool(['apply', 'yes'], a.yes);
    if (b !== undefined) out.yes = b;
  }
  if (a.allowBlocking !== undefined) {
    const s = c.strings(['apply', 'allowBlocking'], a.allowBlocking);
    if (s) out.allowBlocking = s;
  }
  const durations = [
    ['lockTimeout', 'lockTimeoutMs'],
    ['maxLockTimeout', 'maxLockTimeoutMs'],
    ['statementTimeout', 'statementTimeoutMs'],
    ['killBlockersAfter', 'killBlockersAfterMs'],
    ['lockWait', 'lockWaitMs'],
  ] as const;
  for (const [k, field] of durations) {
    if (a[k] === undefined) continue;
    const ms = c.ms(['apply', k], a[k]);
    if (ms !== undefined) out[field] = ms;
  }
  if (a.retries !== undefined) {
    const n = c.int(['apply', 'retries'], a.retries, 0);
    if (n !== undefined) out.retries = n;
  }
  if (a.batchTargetMs !== undefined) {
    const n = c.int(['apply', 'batchTargetMs'], a.batchTargetMs, 1);
    if (n !== undefined) out.batchTargetMs = n;
  }
  return out;
}

/** The fleet's gates with a wave's own over them. */
export function waveGates(spec: Pick<FleetSpec, 'gates'>, wave: Pick<WaveSpec, 'gates'>): Gates {
  return { ...spec.gates, pause: false, ...wave.gates };
}

