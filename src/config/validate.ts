/**
 * The configuration's keys and what each may hold, checked with the shared Validator
 * (./validator.ts): every problem is reported with its key path and, when a locator is
 * given, the line and column of the offending key or value.
 */
import type { Severity, SeveritySetting } from '../lint/types.js';
import { durationToMs } from '../sql/duration.js';
import { RATE_NAMES, type RateName } from '../locks/estimate.js';
import type { KeyPath, Locator } from './locate.js';
import { describeValue, hint, didYouMean, isObject, Validator } from './validator.js';
import { EVIDENCE_RULES, type EvidenceSeverity, type EvidenceSteps, type StepSeverity } from '../lint/compat.js';
import { FRAMEWORKS } from '../migrations/framework.js';
import type { BaselineConfig, BaselineEntry } from '../migrations/baseline.js';
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
  'evidenceSeverity',
  'baseline',
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
    if (raw.evidenceSeverity !== undefined) {
      const e = validateEvidenceSeverity(v, raw.evidenceSeverity);
      if (e) out.evidenceSeverity = e;
    }
    if (raw.baseline !== undefined) {
      const b = validateBaseline(v, raw.baseline);
      if (b) out.baseline = b;
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

const STEP_KEYS = ['strong', 'weak', 'none', 'notSearched'] as const;
const STEP_SEVERITIES: readonly StepSeverity[] = ['error', 'warning', 'info', 'default'];

function validateSteps(v: Validator, path: KeyPath, raw: Record<string, unknown>): EvidenceSteps {
  const out: EvidenceSteps = {};
  for (const k of STEP_KEYS) {
    if (raw[k] === undefined) continue;
    const s = v.oneOf([...path, k], raw[k], STEP_SEVERITIES);
    if (s) out[k] = s;
  }
  return out;
}

function validateEvidenceSeverity(v: Validator, value: unknown): EvidenceSeverity | undefined {
  const raw = v.object(['evidenceSeverity'], value, [...STEP_KEYS, 'rules']);
  if (!raw) return undefined;
  const out: EvidenceSeverity = validateSteps(v, ['evidenceSeverity'], raw);
  if (raw.rules !== undefined) {
    const rules = raw.rules;
    if (!isObject(rules)) {
      v.report(['evidenceSeverity', 'rules'], 'value', `expected an object mapping rule ids to steps, got ${describeValue(rules)}`);
    } else {
      const entries: Array<[string, EvidenceSteps]> = [];
      for (const [id, steps] of Object.entries(rules)) {
        if (!(EVIDENCE_RULES as readonly string[]).includes(id)) {
          v.report(['evidenceSeverity', 'rules', id], 'key', `not a rule whose severity follows the evidence${hint(didYouMean(id, EVIDENCE_RULES))}; those are ${EVIDENCE_RULES.join(', ')}`);
          continue;
        }
        const r = v.object(['evidenceSeverity', 'rules', id], steps, STEP_KEYS);
        if (r) entries.push([id, validateSteps(v, ['evidenceSeverity', 'rules', id], r)]);
      }
      out.rules = Object.fromEntries(entries);
    }
  }
  return out;
}

const DIGEST = /^sum64:[0-9a-f]{16}$/;

function validateBaseline(v: Validator, value: unknown): BaselineConfig | undefined {
  const raw = v.object(['baseline'], value, ['released'], ['released']);
  if (!raw || raw.released === undefined) return undefined;
  if (!Array.isArray(raw.released)) {
    v.report(['baseline', 'released'], 'value', `expected an array of { root, framework, last } entries, got ${describeValue(raw.released)}`);
    return undefined;
  }
  const out: BaselineEntry[] = [];
  const roots = new Set<string>();
  raw.released.forEach((item, i) => {
    const at: KeyPath = ['baseline', 'released', i];
    const e = v.object(at, item, ['root', 'framework', 'last', 'count', 'digest'], ['root', 'framework', 'last']);
    if (!e) return;
    const before = v.issues.length;
    const root = e.root === undefined ? undefined : v.string([...at, 'root'], e.root);
    const framework = e.framework === undefined ? undefined : v.oneOf([...at, 'framework'], e.framework, FRAMEWORKS);
    const last = e.last === undefined ? undefined : v.string([...at, 'last'], e.last);
    const count = e.count === undefined ? undefined : v.int([...at, 'count'], e.count, 0);
    let digest: string | undefined;
    if (e.digest !== undefined) {
      if (typeof e.digest === 'string' && DIGEST.test(e.digest)) digest = e.digest;
      else v.report([...at, 'digest'], 'value', `expected "sum64:" and 16 hex digits (as \`ddlguard baseline\` writes it), got ${describeValue(e.digest)}`);
    }
    if (root !== undefined && roots.has(root)) v.report([...at, 'root'], 'value', `${JSON.stringify(root)} has an earlier entry: one entry per migration root`);
    if (root !== undefined) roots.add(root);
    if (v.issues.length !== before || root === undefined || framework === undefined || last === undefined) return;
    const entry: BaselineEntry = { root, framework, last };
    if (count !== undefined) entry.count = count;
    if (digest !== undefined) entry.digest = digest;
    out.push(entry);
  });
  return { released: out };
}
