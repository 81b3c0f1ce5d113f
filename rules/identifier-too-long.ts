import type { Rule, RuleReport } from '../src/lint/types.js';
import { walk } from '../src/sql/ast.js';
import { scanRaw } from '../src/sql/parser.js';
import { identifierBytes, MAX_IDENTIFIER_BYTES } from '../src/sql/quote.js';

/** The first 63 bytes of a name, cut at a character boundary (as PostgreSQL's truncate_identifier does). */
function truncated(name: string): string {
  let out = '';
  for (const ch of name) {
    if (identifierBytes(out + ch) > MAX_IDENTIFIER_BYTES) break;
    out += ch;
  }
  return out;
}

/**
 * Identifiers longer than 63 bytes as written in the statement, keyed by the
 * truncated name the parser reports. The parser truncates identifiers exactly like
 * the server's lexer, so the parse tree never holds a name over 63 bytes: the
 * original spelling is recovered from the scanner's tokens.
 */
function longIdentifiers(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let tokens;
  try {
    tokens = scanRaw(text);
  } catch {
    return out;
  }
  for (const t of tokens) {
    if (t.tokenName !== 'IDENT') continue;
    // Unquoted identifiers are folded to lower case (ASCII letters only, as in UTF-8 databases).
    const name = t.text.startsWith('"') ? t.text.slice(1, -1).replace(/""/g, '"') : t.text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
    if (identifierBytes(name) > MAX_IDENTIFIER_BYTES) out.set(truncated(name), name);
  }
  return out;
}

/**
 * A run of 63 identifier characters, or 63 characters after a double quote without another. The
 * run is only tried where one starts (the lookbehind): tried at every character, the regular
 * expression rescanned each run to its end. A regular expression runs as native code, which the
 * character loop it replaces did not (lint turns V8's optimising compiler off for short runs):
 * 39 ms against 5 on Lemmy's 2,668 statements under --no-opt.
 */
const LONG_RUN = new RegExp(`(?<![A-Za-z0-9_$])[A-Za-z0-9_$]{${MAX_IDENTIFIER_BYTES}}|"[^"]{${MAX_IDENTIFIER_BYTES}}`);

/**
 * Can the statement hold a name of 63 bytes or more? Only then are its names worth
 * collecting (the walk visits the whole tree). ASCII text without a run of 63 identifier
 * characters, a quoted run of 63, or a doubled quote inside a quoted name cannot.
 */
function mayHoldLongName(text: string): boolean {
  if (text.length < MAX_IDENTIFIER_BYTES) return false;
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(text) || text.includes('""')) return true;
  return LONG_RUN.test(text);
}

/** Names a statement creates: tables, columns, indexes, constraints, ... */
function createdNames(kind: string, n: any): string[] {
  const out: string[] = [];
  if (kind === 'CreateStmt' && n.relation?.relname) out.push(n.relation.relname);
  if (kind === 'IndexStmt' && n.idxname) out.push(n.idxname);
  if (kind === 'ViewStmt' && n.view?.relname) out.push(n.view.relname);
  if (kind === 'CreateSeqStmt' && n.sequence?.relname) out.push(n.sequence.relname);
  if (kind === 'RenameStmt' && n.newname) out.push(n.newname);
  walk(n, (k, v) => {
    if (k === 'ColumnDef' && v?.colname) out.push(v.colname);
    if (k === 'Constraint' && v?.conname) out.push(v.conname);
  });
  return out;
}

const rule: Rule = {
  meta: {
    id: 'identifier-too-long',
    category: 'hygiene',
    defaultSeverity: 'info',
    summary: 'Identifiers longer than 63 bytes are silently truncated.',
    lock: 'none',
    docs: {
      description:
        'PostgreSQL truncates identifiers to 63 bytes (NAMEDATALEN - 1) with only a NOTICE. The object then has a different name than the migration says, later migrations that use the full name fail, and two long names can collide after truncation.',
      bad: 'CREATE INDEX index_on_customer_subscription_renewal_reminder_last_sent_at_and_status ON subscriptions (last_sent_at, status);',
      good: 'CREATE INDEX subscriptions_renewal_reminder_idx ON subscriptions (last_sent_at, status);',
      links: ['https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS'],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    if (!mayHoldLongName(ctx.stmt.text)) return out;
    const names = createdNames(ctx.stmt.kind, ctx.stmt.node);
    // The parser truncates longer names to exactly 63 bytes: only then is the source worth re-scanning.
    const long = names.some((n) => identifierBytes(n) === MAX_IDENTIFIER_BYTES) ? longIdentifiers(ctx.stmt.text) : new Map<string, string>();
    for (const short of names) {
      const name = identifierBytes(short) > MAX_IDENTIFIER_BYTES ? short : long.get(short);
      if (name === undefined) continue;
      const bytes = identifierBytes(name);
      out.push({ message: `Identifier "${name}" is ${bytes} bytes; PostgreSQL truncates it to 63 ("${truncated(name)}").`, help: 'Choose a name of at most 63 bytes.' });
    }
    return out;
  },
};

export default rule;
