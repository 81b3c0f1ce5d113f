/**
 * The configuration's keys and what each may hold, checked with the shared Validator
 * (./validator.ts): every problem is reported with its key path and, when a locator is
 * given, the line and column of the offending key or value.
 */
import type { Severity, SeveritySetting } from '../lint/types.js';
import { durationToMs } from '../sql/duration.js';
import { RATE_NAMES, type RateName } from '../locks/estimate.js';
import type { Locator } from './locate.js';
import { describeValue, hint, didYouMean, isObject, Validator } from './validator.js';
import type { ApplyConfig, DdlguardConfig, PlannerConfig, ReadersConfig } from './types.js';

export interface ValidateOptions {
  /** Rule ids `rules` may name. When omitted, rule ids are not checked. */
  knownRuleIds?: readonly string[];
  /** Absolute path of the file the value came from. */
  file?: string;
  /** The path as shown in messages. */
  displayFile?: string;
  locate?: Locator;
}

export const CONFIG_KEYS = [
  'pgVersion',
  'migrations',
  'history',
  'assumeInTransaction',
  'rules',
  'ignore',
  'severityThreshold',
  'readers',
  'planner',
  'apply',
  'db',
  'schema',
  'severityBySize',
  'estimates',
] as const;

export const PG_VERSION_MIN = 10;
export const PG_VERSION_MAX = 19;
const SEVERITY_SETTINGS: readonly SeveritySetting[] = ['off', 'info', 'warning', 'error'];
const SEVERITIES: readonly Severity[] = ['info', 'warning', 'error'];

/** Validate a parsed configuration value; throws ConfigError listing every problem. */
export function validateConfig(value: unknown, opts: ValidateOptions = {}): DdlguardConfig {
  const v = new Validator(opts);
  const out: DdlguardConfig = {};
  // `$schema` is tolerated so editors can point at a JSON schema.
  const raw = v.object([], value, ['$schema', ...CONFIG_KEYS]);
  if (raw) {
    if (raw.pgVersion !== undefined) {
      const n = v.int(['pgVersion'], raw.pgVersion, PG_VERSION_MIN, PG_VERSION_MAX);
      if (n !== undefined) out.pgVersion = n;
    }
    for (const key of ['migrations', 'history', 'ignore'] as const) {
      if (raw[key] === undefined) continue;
      const s = v.strings([key], raw[key]);
      if (s) out[key] = [...s];
    }
    if (raw.assumeInTransaction !== undefined) {
      const a = raw.assumeInTransaction;
      if (typeof a === 'boolean' || a === 'auto') out.assumeInTransaction = a;
      else v.report(['assumeInTransaction'], 'value', `expected true, false or "auto", got ${describeValue(a)}`);
    }
    if (raw.rules !== undefined) {
      const rules = validateRules(v, raw.rules, opts.knownRuleIds);
      if (rules) out.rules = rules;
    }
    if (raw.severityThreshold !== undefined) {
      const s = v.oneOf(['severityThreshold'], raw.severityThreshold, SEVERITIES);
      if (s) out.severityThreshold = s;
    }
    if (raw.readers !== undefined) {
      const r = validateReaders(v, raw.readers);
      if (r) out.readers = r;
    }
    if (raw.planner !== undefined) {
      const p = validatePlanner(v, raw.planner);
      if (p) out.planner = p;
    }
    if (raw.apply !== undefined) {
      const a = validateApply(v, raw.apply);
      if (a) out.apply = a;
    }
    for (const key of ['db', 'schema'] as const) {
      if (raw[key] === undefined) continue;
      const s = v.string([key], raw[key]);
      if (s !== undefined) out[key] = s;
    }
    if (raw.estimates !== undefined) {
      const e = v.object(['estimates'], raw.estimates, [...RATE_NAMES, 'source']);
      if (e) {
        const o: NonNullable<DdlguardConfig['estimates']> = {};
        for (const [k, val] of Object.entries(e)) {
          if (k === 'source') {
            const src = v.string(['estimates', 'source'], val);
            if (src !== undefined) o.source = src;
          } else if ((RATE_NAMES as readonly string[]).includes(k)) {
            if (typeof val === 'number' && Number.isFinite(val) && val > 0) o[k as RateName] = val;
            else v.report(['estimates', k], 'value', `expected a positive number, got ${describeValue(val)}`);
          }
        }
        out.estimates = o;
      }
    }
    if (raw.severityBySize !== undefined) {
      const b = v.object(['severityBySize'], raw.severityBySize, ['infoBelowRows', 'infoBelowBytes']);
      if (b) {
        const o: NonNullable<DdlguardConfig['severityBySize']> = {};
        if (b.infoBelowRows !== undefined) {
          const n = v.int(['severityBySize', 'infoBelowRows'], b.infoBelowRows, 0);
          if (n !== undefined) o.infoBelowRows = n;
        }
        if (b.infoBelowBytes !== undefined) {
          const n = v.bytes(['severityBySize', 'infoBelowBytes'], b.infoBelowBytes);
          if (n !== undefined) o.infoBelowBytes = n;
        }
        out.severityBySize = o;
      }
    }
  }
  v.finish();
  return out;
}

function validateRules(v: Validator, value: unknown, known: readonly string[] | undefined): Record<string, SeveritySetting> | undefined {
  if (!isObject(value)) {
    v.report(['rules'], 'value', `expected an object mapping rule ids to "off", "info", "warning" or "error", got ${describeValue(value)}`);
    return undefined;
  }
  const out: Array<[string, SeveritySetting]> = [];
  for (const [id, setting] of Object.entries(value)) {
    if (known && !known.includes(id)) {
      v.report(['rules', id], 'key', `unknown rule id${hint(didYouMean(id, known))}`);
      continue;
    }
    const s = v.oneOf(['rules', id], setting, SEVERITY_SETTINGS);
    if (s) out.push([id, s]);
  }
  // fromEntries defines own properties, so even a "__proto__" key stays data.
  return Object.fromEntries(out);
}

function validateReaders(v: Validator, value: unknown): ReadersConfig | undefined {
  const raw = v.object(['readers'], value, ['paths', 'exclude'], ['paths']);
  if (!raw) return undefined;
  const paths = raw.paths === undefined ? undefined : v.strings(['readers', 'paths'], raw.paths);
  const exclude = raw.exclude === undefined ? undefined : v.strings(['readers', 'exclude'], raw.exclude);
  if (!paths) return undefined;
  const out: ReadersConfig = { paths: [...paths] };
  if (exclude) out.exclude = [...exclude];
  return out;
}

function validatePlanner(v: Validator, value: unknown): PlannerConfig | undefined {
  const raw = v.object(['planner'], value, ['smallTable', 'smallTableRows', 'batchSize']);
  if (!raw) return undefined;
  const out: PlannerConfig = {};
  if (raw.smallTable !== undefined) {
    const st = v.object(['planner', 'smallTable'], raw.smallTable, ['rows', 'bytes']);
    if (st) {
      const o: NonNullable<PlannerConfig['smallTable']> = {};
      if (st.rows !== undefined) {
        const n = v.int(['planner', 'smallTable', 'rows'], st.rows, 0);
        if (n !== undefined) o.rows = n;
      }
      if (st.bytes !== undefined) {
        const n = v.bytes(['planner', 'smallTable', 'bytes'], st.bytes);
        if (n !== undefined) o.bytes = n;
      }
      out.smallTable = o;
    }
  }
  if (raw.smallTableRows !== undefined) {
    const n = v.int(['planner', 'smallTableRows'], raw.smallTableRows, 0);
    if (n !== undefined) out.smallTableRows = n;
  }
  if (raw.batchSize !== undefined) {
    const n = v.int(['planner', 'batchSize'], raw.batchSize, 1);
    if (n !== undefined) out.batchSize = n;
  }
  return out;
}

function validateApply(v: Validator, value: unknown): ApplyConfig | undefined {
  const raw = v.object(['apply'], value, ['lockTimeout', 'maxLockTimeout', 'retries', 'statementTimeout', 'batchTargetMs']);
  if (!raw) return undefined;
  const out: ApplyConfig = {};
  for (const key of ['lockTimeout', 'maxLockTimeout', 'statementTimeout'] as const) {
    if (raw[key] === undefined) continue;
    const d = v.duration(['apply', key], raw[key]);
    if (d !== undefined) out[key] = d;
  }
  if (raw.retries !== undefined) {
    const n = v.int(['apply', 'retries'], raw.retries, 0);
    if (n !== undefined) out.retries = n;
  }
  if (raw.batchTargetMs !== undefined) {
    const n = v.int(['apply', 'batchTargetMs'], raw.batchTargetMs, 1);
    if (n !== undefined) out.batchTargetMs = n;
  }
  if (out.lockTimeout !== undefined && out.maxLockTimeout !== undefined) {
    const lo = durationToMs(out.lockTimeout)!;
    const hi = durationToMs(out.maxLockTimeout)!;
    if (lo > hi) v.report(['apply', 'lockTimeout'], 'value', `${JSON.stringify(out.lockTimeout)} is longer than apply.maxLockTimeout (${JSON.stringify(out.maxLockTimeout)})`);
  }
  return out;
}
