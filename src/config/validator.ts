/**
 * The checks a hand-written validator of a parsed file is made of (no runtime schema
 * library): each problem is collected as an issue with its key path and, through the
 * Locator, the line and column of the offending key or value; `finish` throws them all at
 * once, in file order. The fleet file (src/fleet/file.ts) describes its keys with these; the
 * config (./validate.ts) is checked by its JSON Schema and reports through `report` and `finish`.
 */
import { isDuration } from '../sql/duration.js';
import { sizeToBytes } from '../sql/bytes.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import type { KeyPath, Locator, TextOrigin } from './locate.js';

/** `rules.require-concurrent-index`, `readers.paths[2]`, `rules["a.b"]`. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** How a value is quoted in messages: strings quoted, objects by kind. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate, if it is close enough to be what was meant. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const cl = c.toLowerCase();
    const d = cl === lower ? 0 : cl.startsWith(lower) && lower.length >= 3 ? 1 : editDistance(lower, cl);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  return bestD <= Math.max(2, Math.floor(best.length / 4)) ? best : undefined;
}

/** ` (did you mean x?)`, or nothing. */
export const hint = (s: string | undefined): string => (s === undefined ? '' : ` (did you mean ${s}?)`);

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ValidatorOptions extends TextOrigin {
  locate?: Locator;
  /** How values are quoted in messages (default describeValue; the fleet file masks URL passwords). */
  describe?: (v: unknown) => string;
}

export class Validator {
  readonly issues: ConfigIssue[] = [];
  protected readonly describe: (v: unknown) => string;
  constructor(protected readonly opts: ValidatorOptions) {
    this.describe = opts.describe ?? describeValue;
  }

  report(path: KeyPath, target: 'key' | 'value', message: string): void {
    const issue: ConfigIssue = { message };
    if (this.opts.file !== undefined) issue.file = this.opts.file;
    if (this.opts.displayFile !== undefined) issue.displayFile = this.opts.displayFile;
    if (path.length > 0) issue.keyPath = formatKeyPath(path);
    const pos = this.opts.locate?.(path, target);
    if (pos) {
      issue.line = pos.line;
      issue.column = pos.column;
    }
    this.issues.push(issue);
  }

  /** `file:line:column` of a key path (the file alone when it cannot be located), for errors found after validation. */
  at(path: KeyPath, target: 'key' | 'value' = 'value'): string {
    const file = this.opts.displayFile ?? this.opts.file ?? '';
    const pos = this.opts.locate?.(path, target);
    return pos ? `${file}:${pos.line}:${pos.column}` : file;
  }

  object(path: KeyPath, v: unknown, keys: readonly string[], required: readonly string[] = []): Record<string, unknown> | undefined {
    if (!isObject(v)) {
      this.report(path, 'value', `expected an object, got ${this.describe(v)}`);
      return undefined;
    }
    for (const k of Object.keys(v)) {
      if (!keys.includes(k)) this.report([...path, k], 'key', `unknown key${hint(didYouMean(k, keys))}`);
    }
    for (const k of required) {
      if (v[k] === undefined) this.report(path, 'value', `missing required key "${k}"`);
    }
    return v;
  }

  int(path: KeyPath, v: unknown, min: number, max?: number): number | undefined {
    const ok = typeof v === 'number' && Number.isInteger(v) && v >= min && (max === undefined || v <= max);
    if (ok) return v;
    const range = max === undefined ? `an integer >= ${min}` : `an integer between ${min} and ${max}`;
    this.report(path, 'value', `expected ${range}, got ${this.describe(v)}`);
    return undefined;
  }

  strings(path: KeyPath, v: unknown): string[] | undefined {
    if (!Array.isArray(v)) {
      this.report(path, 'value', `expected an array of strings, got ${this.describe(v)}`);
      return undefined;
    }
    const before = this.issues.length;
    v.forEach((s, i) => {
      if (typeof s !== 'string') this.report([...path, i], 'value', `expected a string, got ${this.describe(s)}`);
      else if (s.trim() === '') this.report([...path, i], 'value', 'expected a non-empty string');
    });
    return this.issues.length === before ? (v as string[]) : undefined;
  }

  oneOf<T extends string>(path: KeyPath, v: unknown, allowed: readonly T[]): T | undefined {
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    const list = allowed.map((a) => JSON.stringify(a)).join(', ');
    const suggestion = typeof v === 'string' ? hint(didYouMean(v, allowed)) : '';
    this.report(path, 'value', `expected one of ${list}, got ${this.describe(v)}${suggestion}`);
    return undefined;
  }

  /** A byte count: a number, or a PostgreSQL size such as "64MB". */
  bytes(path: KeyPath, v: unknown): number | undefined {
    const n = typeof v === 'number' || typeof v === 'string' ? sizeToBytes(v) : null;
    if (n !== null) return n;
    this.report(path, 'value', `expected a size such as "64MB", "1GB" or a number of bytes, got ${this.describe(v)}`);
    return undefined;
  }

  string(path: KeyPath, v: unknown): string | undefined {
    if (typeof v === 'string' && v.trim() !== '') return v;
    this.report(path, 'value', `expected a non-empty string, got ${this.describe(v)}`);
    return undefined;
  }

  bool(path: KeyPath, v: unknown): boolean | undefined {
    if (typeof v === 'boolean') return v;
    this.report(path, 'value', `expected true or false, got ${this.describe(v)}`);
    return undefined;
  }

  /** A PostgreSQL-style duration ("2s", "500ms"), as written; `examples` are the ones the message suggests. */
  duration(path: KeyPath, v: unknown, examples = '"2s", "500ms" or "1min"'): string | undefined {
    if (typeof v === 'string' && isDuration(v)) return v;
    this.report(path, 'value', `expected a duration such as ${examples}, got ${this.describe(v)}`);
    return undefined;
  }

  /** Throws every issue at once, in file order where positions are known (the sort is stable for the rest). */
  finish(): void {
    if (this.issues.length === 0) return;
    const at = (i: ConfigIssue): number => (i.line === undefined ? Infinity : i.line * 1e6 + (i.column ?? 0));
    throw new ConfigError([...this.issues].sort((a, b) => at(a) - at(b)));
  }
}
