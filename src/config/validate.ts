/**
 * The configuration's keys and what each may hold are ddlguard.schema.json (the JSON Schema
 * editors complete and check the file with), compiled by ajv at build time into
 * ./schema-validator.generated.ts (scripts/build-config-validator.mjs), so a run loads no
 * schema library. Every problem is reported with its key path and, when a locator is given,
 * the line and column of the offending key or value; the wording comes from the schema
 * (its `x-expected`, `x-messages` and `x-unknown-key` annotations, else from `enum`,
 * `minimum` and `maximum`). What a schema cannot say (rule ids known at run time, a lock
 * timeout above its maximum, one baseline entry per root) is checked here after it.
 */
import type { SeveritySetting } from '../lint/types.js';
import { durationToMs } from '../sql/duration.js';
import { sizeToBytes } from '../sql/bytes.js';
import type { KeyPath, Locator } from './locate.js';
import { describeValue, hint, didYouMean, isObject, Validator } from './validator.js';
import type { EvidenceSeverity } from '../lint/compat.js';
import type { BaselineEntry } from '../migrations/baseline.js';
import type { DdlguardConfig } from './types.js';
import { validate as schemaValidate } from './schema-validator.generated.js';

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

/** The parts of an ajv error (verbose) the messages are made from. */
interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  parentSchema?: SchemaNode;
  data?: unknown;
}
interface SchemaNode {
  enum?: unknown[];
  type?: string | string[];
  minimum?: number;
  maximum?: number;
  properties?: Record<string, unknown>;
  'x-expected'?: string;
  'x-messages'?: Record<string, string>;
  'x-unknown-key'?: string;
}

/** Validate a parsed configuration value; throws ConfigError listing every problem. */
export function validateConfig(value: unknown, opts: ValidateOptions = {}): DdlguardConfig {
  const v = new Validator(opts);
  const unknownRules = checkRuleIds(v, value, opts.knownRuleIds);
  if (!schemaValidate(value)) {
    const seen = new Set<string>();
    for (const e of (schemaValidate as unknown as { errors: SchemaError[] }).errors) {
      const path = keyPath(value, e.instancePath);
      // An unknown rule id is reported once, not again for its severity.
      if (path[0] === 'rules' && typeof path[1] === 'string' && unknownRules.has(path[1])) continue;
      const issue = schemaIssue(e, path);
      const id = `${JSON.stringify(issue.path)} ${issue.target} ${issue.message}`;
      // One message per value: `type` and `enum` (or `pattern`) may both fail on it.
      const valueId = `${JSON.stringify(issue.path)} value`;
      if (seen.has(id) || (issue.target === 'value' && e.keyword !== 'required' && seen.has(valueId))) continue;
      seen.add(id);
      if (issue.target === 'value' && e.keyword !== 'required') seen.add(valueId);
      v.report(issue.path, issue.target, issue.message);
    }
  }
  checkAfterSchema(v, value);
  v.finish();
  return convert(value as Record<string, unknown>);
}

/** JSON Pointer to key path, array indexes as numbers (as the locators expect). */
function keyPath(root: unknown, pointer: string): KeyPath {
  if (pointer === '') return [];
  const out: Array<string | number> = [];
  let at: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at)) {
      out.push(Number(seg));
      at = at[Number(seg)];
    } else {
      out.push(seg);
      at = isObject(at) ? at[seg] : undefined;
    }
  }
  return out;
}

function schemaIssue(e: SchemaError, path: KeyPath): { path: KeyPath; target: 'key' | 'value'; message: string } {
  const node = e.parentSchema ?? {};
  if (e.keyword === 'additionalProperties') {
    const key = String(e.params.additionalProperty);
    const keys = Object.keys(node.properties ?? {});
    const template = node['x-unknown-key'] ?? 'unknown key{hint}';
    return { path: [...path, key], target: 'key', message: template.replace('{hint}', hint(didYouMean(key, keys))).replace('{keys}', keys.join(', ')) };
  }
  if (e.keyword === 'required') return { path, target: 'value', message: `missing required key "${String(e.params.missingProperty)}"` };
  const own = node['x-messages']?.[e.keyword];
  if (own !== undefined) return { path, target: 'value', message: own.replace('{value}', describeValue(e.data)) };
  return { path, target: 'value', message: `expected ${expected(node, e.data)}, got ${describeValue(e.data)}${suggestion(node, e.data)}` };
}

/** What a schema node asks for, in words. */
function expected(node: SchemaNode, data: unknown): string {
  if (node['x-expected'] !== undefined) return node['x-expected'];
  if (node.enum) return `one of ${node.enum.map((a) => JSON.stringify(a)).join(', ')}`;
  if (node.type === 'integer') {
    const min = node.minimum ?? -Infinity;
    return node.maximum === undefined ? `an integer >= ${min}` : `an integer between ${min} and ${node.maximum}`;
  }
  const types = Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type];
  return types.map((t) => TYPE_WORDS[t] ?? t).join(' or ') || `something other than ${describeValue(data)}`;
}

const TYPE_WORDS: Record<string, string> = { string: 'a string', number: 'a number', integer: 'an integer', boolean: 'true or false', array: 'an array', object: 'an object', null: 'null' };

/** ` (did you mean x?)` for a misspelt string of an enum without its own wording. */
function suggestion(node: SchemaNode, data: unknown): string {
  if (!node.enum || node['x-expected'] !== undefined || typeof data !== 'string') return '';
  return hint(didYouMean(data, node.enum.filter((a): a is string => typeof a === 'string')));
}

/** Rule ids named in `rules` that are not known; reported as such. */
function checkRuleIds(v: Validator, value: unknown, known: readonly string[] | undefined): Set<string> {
  const unknown = new Set<string>();
  if (!known || !isObject(value) || !isObject(value.rules)) return unknown;
  for (const id of Object.keys(value.rules)) {
    if (known.includes(id)) continue;
    unknown.add(id);
    v.report(['rules', id], 'key', `unknown rule id${hint(didYouMean(id, known))}`);
  }
  return unknown;
}

/** What the schema cannot say; each check reads only values the schema has typed. */
function checkAfterSchema(v: Validator, value: unknown): void {
  if (!isObject(value)) return;
  const apply = value.apply;
  if (isObject(apply) && typeof apply.lockTimeout === 'string' && typeof apply.maxLockTimeout === 'string') {
    const lo = durationToMs(apply.lockTimeout);
    const hi = durationToMs(apply.maxLockTimeout);
    if (lo !== null && hi !== null && lo > hi) {
      v.report(['apply', 'lockTimeout'], 'value', `${JSON.stringify(apply.lockTimeout)} is longer than apply.maxLockTimeout (${JSON.stringify(apply.maxLockTimeout)})`);
    }
  }
  const released = isObject(value.baseline) ? value.baseline.released : undefined;
  if (Array.isArray(released)) {
    const roots = new Set<string>();
    released.forEach((e, i) => {
      if (!isObject(e) || typeof e.root !== 'string' || e.root.trim() === '') return;
      if (roots.has(e.root)) v.report(['baseline', 'released', i, 'root'], 'value', `${JSON.stringify(e.root)} has an earlier entry: one entry per migration root`);
      roots.add(e.root);
    });
  }
}

/** The validated value as DdlguardConfig: sizes in bytes, `$schema` dropped, arrays and maps copied. */
function convert(raw: Record<string, unknown>): DdlguardConfig {
  const out: DdlguardConfig = {};
  const obj = (x: unknown) => x as Record<string, unknown>;
  const bytes = (x: unknown) => sizeToBytes(x as string | number)!;
  if (raw.pgVersion !== undefined) out.pgVersion = raw.pgVersion as number;
  for (const key of ['migrations', 'history', 'ignore'] as const) if (raw[key] !== undefined) out[key] = [...(raw[key] as string[])];
  if (raw.assumeInTransaction !== undefined) out.assumeInTransaction = raw.assumeInTransaction as boolean | 'auto';
  // fromEntries defines own properties, so even a "__proto__" key stays data.
  if (raw.rules !== undefined) out.rules = Object.fromEntries(Object.entries(obj(raw.rules))) as Record<string, SeveritySetting>;
  if (raw.severityThreshold !== undefined) out.severityThreshold = raw.severityThreshold as NonNullable<DdlguardConfig['severityThreshold']>;
  if (raw.readers !== undefined) {
    const r = obj(raw.readers);
    out.readers = { paths: [...(r.paths as string[])] };
    if (r.exclude !== undefined) out.readers.exclude = [...(r.exclude as string[])];
  }
  if (raw.planner !== undefined) {
    const p = obj(raw.planner);
    const planner: NonNullable<DdlguardConfig['planner']> = {};
    if (p.smallTable !== undefined) {
      const st = obj(p.smallTable);
      planner.smallTable = {};
      if (st.rows !== undefined) planner.smallTable.rows = st.rows as number;
      if (st.bytes !== undefined) planner.smallTable.bytes = bytes(st.bytes);
    }
    if (p.smallTableRows !== undefined) planner.smallTableRows = p.smallTableRows as number;
    if (p.batchSize !== undefined) planner.batchSize = p.batchSize as number;
    out.planner = planner;
  }
  if (raw.apply !== undefined) out.apply = { ...(raw.apply as NonNullable<DdlguardConfig['apply']>) };
  for (const key of ['db', 'schema'] as const) if (raw[key] !== undefined) out[key] = raw[key] as string;
  if (raw.estimates !== undefined) out.estimates = { ...(raw.estimates as NonNullable<DdlguardConfig['estimates']>) };
  if (raw.severityBySize !== undefined) {
    const b = obj(raw.severityBySize);
    const o: NonNullable<DdlguardConfig['severityBySize']> = {};
    if (b.infoBelowRows !== undefined) o.infoBelowRows = b.infoBelowRows as number;
    if (b.infoBelowBytes !== undefined) o.infoBelowBytes = bytes(b.infoBelowBytes);
    out.severityBySize = o;
  }
  if (raw.evidenceSeverity !== undefined) {
    const { rules, ...steps } = obj(raw.evidenceSeverity);
    const e: EvidenceSeverity = { ...(steps as EvidenceSeverity) };
    if (rules !== undefined) e.rules = Object.fromEntries(Object.entries(obj(rules)).map(([id, s]) => [id, { ...obj(s) }])) as EvidenceSeverity['rules'];
    out.evidenceSeverity = e;
  }
  if (raw.baseline !== undefined) {
    const released = obj(raw.baseline).released as Array<Record<string, unknown>>;
    out.baseline = {
      released: released.map((e) => {
        const entry = { root: e.root, framework: e.framework, last: e.last } as BaselineEntry;
        if (e.count !== undefined) entry.count = e.count as number;
        if (e.digest !== undefined) entry.digest = e.digest as string;
        return entry;
      }),
    };
  }
  return out;
}
