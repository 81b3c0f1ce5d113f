/**
 * Database connections shared by apply, trace, verify and live introspection:
 * URL resolution and password redaction (every error message that leaves this
 * module is redacted). Load this module lazily (it imports `pg`): never on the lint path.
 */
import pg from 'pg';

export const APPLICATION_NAME = 'ddlguard';

/** Masks the password of a connection URL (`postgres://u:***@h/db`). Non-URLs are returned with `password=...` masked. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()]) {
      // password, sslpassword, and anything else that looks secret (tokens, keys).
      if (/pass|secret|token/i.test(k)) u.searchParams.set(k, '***');
    }
    return u.toString().replace('%2A%2A%2A', '***');
  } catch {
    return url.replace(/(password\s*=\s*)('[^']*'|\S+)/gi, '$1***');
  }
}

/**
 * A known secret as a whole token: a password such as `postgres` must not mask
 * `postgresql://` or a longer name that merely starts with it. Only the ends that
 * are word characters get a boundary, so `p@ss!` still matches after any text.
 */
function secretPattern(secret: string): RegExp {
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const before = /^\w/.test(secret) ? '(?<!\\w)' : '';
  const after = /\w$/.test(secret) ? '(?!\\w)' : '';
  return new RegExp(before + escaped + after, 'g');
}

/** The same server, credentials and options, another database. */
export function withDatabaseName(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(db)}`;
  return u.toString();
}

/** Replaces every URL-with-password and `password=...` in free text. */
export function redactText(text: string, knownSecrets: readonly string[] = []): string {
  let out = text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^:@/\s]*):([^@\s]*)@/gi, '$1$2:***@');
  out = out.replace(/(password\s*=\s*)('[^']*'|[^\s&]+)/gi, '$1***');
  for (const s of [...knownSecrets].sort((a, b) => b.length - a.length)) {
    if (s) out = out.replace(secretPattern(s), '***');
  }
  return out;
}

/** The secrets a URL carries (password in the authority or the query, raw and percent-decoded), to scrub verbatim. */
export function urlSecrets(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const u = new URL(url);
    const out: string[] = [];
    for (const p of [u.password, u.searchParams.get('password') ?? '', u.searchParams.get('sslpassword') ?? '']) {
      if (!p) continue;
      out.push(p);
      try {
        out.push(decodeURIComponent(p));
      } catch {
        /* keep the raw form only */
      }
    }
    return out.filter((s) => s.length >= 3);
  } catch {
    return [];
  }
}

/** An error whose message is already redacted. Keeps the SQLSTATE of database errors. */
export class ApplyError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'ApplyError';
  }
}

/** Converts anything thrown into an ApplyError with a redacted message. */
export function redactError(err: unknown, url?: string): ApplyError {
  if (err instanceof ApplyError) return err;
  const e = err as { message?: unknown; code?: unknown; detail?: unknown };
  const secrets = urlSecrets(url ?? process.env.DATABASE_URL);
  const message = redactText(typeof e?.message === 'string' ? e.message : String(err), secrets);
  const detail = typeof e?.detail === 'string' ? redactText(e.detail, secrets) : undefined;
  const out = new ApplyError(message, typeof e?.code === 'string' ? e.code : undefined, detail);
  return out;
}

/** `--db` wins, then `DATABASE_URL`; throws (redacted) when neither is set. */
export function resolveDbUrl(db?: string): string {
  const url = db ?? process.env.DATABASE_URL;
  if (!url) throw new ApplyError('no database: pass --db <url> or set DATABASE_URL');
  return url;
}

export type Client = pg.Client;

/** Connects with application_name=ddlguard. Errors are redacted. */
export async function connect(url: string, opts: { applicationName?: string; connectTimeoutMs?: number } = {}): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    application_name: opts.applicationName ?? APPLICATION_NAME,
    // An unreachable host must fail with a message, not hang a deploy or a pre-commit hook.
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
  });
  // A dropped connection must not crash the process via an unhandled 'error' event.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw redactError(err, url);
  }
  return client;
}

/** Ends a client, ignoring errors. */
export async function closeQuietly(client: pg.Client | undefined): Promise<void> {
  if (!client) return;
  await client.end().catch(() => {});
}

/** The server's major version, from server_version_num (e.g. 180001 -> 18). */
export async function majorOf(client: pg.Client): Promise<number> {
  const r = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  const num = Number(r.rows[0]?.v);
  if (!Number.isFinite(num) || num <= 0) throw new ApplyError(`unexpected server_version_num: ${String(r.rows[0]?.v)}`);
  return Math.floor(num / 10000);
}

/** The major version of the server at `url`; errors have the password masked. */
export async function serverMajor(url: string): Promise<number> {
  const client = await connect(url);
  try {
    return await majorOf(client);
  } catch (e) {
    throw redactError(e, url);
  } finally {
    await closeQuietly(client);
  }
}
