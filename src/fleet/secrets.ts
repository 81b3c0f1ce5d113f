/**
 * Connection URLs of a fleet and their secrets. A fleet file may name `${VAR}` for any part
 * of a URL; the control database stores the URL as written (the variables not interpolated,
 * so workers on other machines interpolate them from their own environment) and, unless the
 * fleet says `passwords: store`, without a literal password (a worker then gets it from
 * PGPASSWORD or ~/.pgpass, as libpq would). Every URL this process interpolates registers
 * its secrets with the run's Redactor, which scrubs them from every message and event.
 */
import { redactText, redactUrl, urlSecrets } from '../db/connection.js';
import { FleetError } from './errors.js';
import type { PasswordPolicy } from './types.js';

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** `${VAR}` and `$VAR` from the environment; an unset variable is an error naming `where`. */
export function interpolate(value: string, env: NodeJS.ProcessEnv, where: string): string {
  return value.replace(VAR, (_, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const v = env[name];
    if (v === undefined) throw new FleetError(`${where}: environment variable ${name} is not set`);
    return v;
  });
}

const isVariable = (s: string): boolean => /^(?:\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*)$/.test(s);
const AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^:@/?#]*):([^@/?#]*)@/i;

/** The URL as the control database keeps it (see the module comment); `stripped` when a literal password was removed. */
export function storedUrl(written: string, policy: PasswordPolicy): { url: string; stripped: boolean } {
  if (policy === 'store') return { url: written, stripped: false };
  let url = written;
  let stripped = false;
  const m = AUTHORITY.exec(url);
  if (m && m[3] !== '' && !isVariable(m[3]!)) {
    url = `${m[1]}${m[2]}@${url.slice(m[0].length)}`;
    stripped = true;
  }
  const q = url.indexOf('?');
  if (q >= 0) {
    const params = url.slice(q + 1).split('&');
    const kept = params.filter((p) => {
      const [k, v = ''] = p.split('=');
      const secret = /pass|secret|token/i.test(k ?? '') && v !== '' && !isVariable(decodeURIComponentSafe(v));
      if (secret) stripped = true;
      return !secret;
    });
    url = kept.length > 0 ? `${url.slice(0, q)}?${kept.join('&')}` : url.slice(0, q);
  }
  return { url, stripped };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The database a URL names (for display), or null. */
export function databaseOf(url: string): string | null {
  try {
    const u = new URL(url);
    return decodeURIComponent(u.pathname.replace(/^\//, '')) || u.username || null;
  } catch {
    return null;
  }
}

/** Host, port and database of a URL: two targets with the same key (and schema) are the same target. */
export function databaseKey(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname.toLowerCase()}:${u.port || '5432'}/${decodeURIComponent(u.pathname.replace(/^\//, ''))}`;
  } catch {
    return url;
  }
}

/** Scrubs every secret this process has seen from text and from the strings of a value. */
export class Redactor {
  private readonly secrets = new Set<string>();

  /** Registers the secrets of a URL (its password, raw and decoded). */
  add(url: string | undefined): void {
    for (const s of urlSecrets(url)) this.secrets.add(s);
  }

  text(s: string): string {
    return redactText(s, [...this.secrets]);
  }

  /** A URL for display: the password masked, then any known secret. */
  url(u: string): string {
    return this.text(redactUrl(u));
  }

  /** A copy of `v` with every string scrubbed. */
  deep<T>(v: T): T {
    if (typeof v === 'string') return this.text(v) as T;
    if (Array.isArray(v)) return v.map((x) => this.deep(x)) as T;
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = this.deep(x);
      return out as T;
    }
    return v;
  }
}
