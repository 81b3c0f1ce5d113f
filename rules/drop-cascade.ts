import { effectsOf } from '../src/lint/rule-kit.js';
import type { Rule, RuleContext } from '../src/lint/types.js';
import { SUPPLY_SCHEMA } from '../src/schema/model.js';
import type { DropReach } from '../src/schema/replay.js';
import { createdHere, explicitDrops, listed, reachNames, reachSummary } from './_drops.js';

const CASCADE_FACTS = ['drop-table-cascade', 'drop-view-cascade', 'drop-schema-cascade', 'drop-function-cascade', 'drop-type-cascade', 'drop-sequence-cascade'];

const OBJECT_WORDS: Record<string, string> = {
  OBJECT_TABLE: 'table',
  OBJECT_FOREIGN_TABLE: 'foreign table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized view',
  OBJECT_SCHEMA: 'schema',
  OBJECT_FUNCTION: 'function',
  OBJECT_PROCEDURE: 'procedure',
  OBJECT_ROUTINE: 'routine',
  OBJECT_TYPE: 'type',
  OBJECT_DOMAIN: 'domain',
  OBJECT_SEQUENCE: 'sequence',
};

/** Was this named object (relation or type key, schema or function name) made earlier in the linted file? */
function namedHere(ctx: RuleContext, removeType: string, name: string): boolean {
  const m = ctx.model;
  if (removeType === 'OBJECT_SCHEMA') return createdHere(ctx, m.schemaOrigins.get(name));
  if (removeType === 'OBJECT_FUNCTION' || removeType === 'OBJECT_PROCEDURE' || removeType === 'OBJECT_ROUTINE') return createdHere(ctx, m.functionOrigins.get(name));
  if (removeType === 'OBJECT_TYPE' || removeType === 'OBJECT_DOMAIN') return createdHere(ctx, (m.enums.get(name) ?? m.domains.get(name))?.origin);
  return createdHere(ctx, m.relations.get(name)?.origin);
}

/** Everything the cascade reaches was made in this file: nothing deployed uses it. */
function allNew(ctx: RuleContext, removeType: string, r: DropReach): boolean {
  if (r.unnamed.length > 0 || r.named.length === 0) return false;
  if (!r.named.every((n) => namedHere(ctx, removeType, n))) return false;
  const rel = (k: string) => createdHere(ctx, ctx.model.relations.get(k)?.origin);
  return r.relations.every(rel) && r.altered.every(rel);
}

const rule: Rule = {
  meta: {
    id: 'drop-cascade',
    category: 'compatibility',
    defaultSeverity: 'error',
    summary: 'DROP ... CASCADE of an existing schema, table, view, function, type or sequence also drops everything that depends on it, unnamed.',
    lock: 'ACCESS EXCLUSIVE on every relation it drops or alters',
    docs: {
      description:
        'CASCADE makes PostgreSQL drop, without naming them, every object that depends on the one you drop: DROP SCHEMA ... CASCADE removes every table, view, sequence, type and function in the schema and the views and foreign keys elsewhere that use them; DROP TYPE ... CASCADE drops every column of that type, with its data; DROP FUNCTION ... CASCADE drops the column defaults, triggers and views that call it. Running code that uses any of them fails at once, and the data is gone. ddlguard lists what the cascade reaches as far as its schema sources know, and says what it cannot see. Drop the dependents explicitly, each once the code no longer uses it, and drop the object without CASCADE so PostgreSQL refuses if something unlisted still depends on it.',
      bad: 'DROP SCHEMA archive CASCADE;',
      good: '-- release N: remove every use of archive.* from the code, back up the data, deploy\n-- release N+1, without CASCADE (PostgreSQL refuses while anything unlisted still depends on it):\nDROP VIEW archive.monthly;\nDROP TABLE archive.events;\nDROP SCHEMA archive;',
      links: [
        'https://www.postgresql.org/docs/current/ddl-depend.html',
        'https://www.postgresql.org/docs/current/sql-dropschema.html',
        'https://www.postgresql.org/docs/current/sql-droptable.html',
        'https://www.postgresql.org/docs/current/sql-droptype.html',
        'https://www.postgresql.org/docs/current/sql-dropfunction.html',
      ],
    },
  },
  check(ctx) {
    const effects = effectsOf(ctx, ...CASCADE_FACTS);
    const first = effects[0];
    const reach = first?.reach;
    if (!first || !reach) return [];
    const removeType = String(ctx.stmt.node.removeType ?? '');
    if (allNew(ctx, removeType, reach)) return [];
    const word = OBJECT_WORDS[removeType] ?? 'object';
    const fn = removeType === 'OBJECT_FUNCTION' || removeType === 'OBJECT_PROCEDURE' || removeType === 'OBJECT_ROUTINE';
    const named = [...reach.named, ...reach.unnamed].map((x) => (fn ? `${x}()` : x));
    const data = reach.columns.length > 0 || reach.relations.some((k) => ctx.model.relations.get(k)?.kind !== 'view');
    const subject = `DROP ${word.toUpperCase()} ${listed(named)} CASCADE`;
    const names = reachNames(reach);
    const parts: string[] = [];
    if (names.length > 0) {
      parts.push(`${subject} drops ${reachSummary(ctx.model, reach)} (what it names and everything that depends on it, as far as ddlguard knows): ${listed(names)}. Running code that uses any of them fails${data ? ', and their data is gone' : ''}.`);
    } else {
      parts.push(`${subject} drops ${listed(named)} and everything that depends on ${named.length === 1 ? 'it' : 'them'}; running code that uses any of it fails.`);
    }
    if (reach.unnamed.length > 0) parts.push(`ddlguard does not know ${listed(reach.unnamed)} (no source defined ${reach.unnamed.length === 1 ? 'it' : 'them'}; ${SUPPLY_SCHEMA}), so it cannot say what the cascade reaches.`);
    if (reach.unknown.length > 0) parts.push(`It cannot see ${listed(reach.unknown)}.`);
    const plain = ctx.stmt.text.replace(/\s+CASCADE\s*$/i, '');
    // IF EXISTS on objects no source defined: they may not exist at all.
    const maybeAbsent = ctx.stmt.node.missing_ok && reach.named.length === 0;
    return [
      {
        effect: first,
        ...(maybeAbsent ? { severity: 'warning' as const } : {}),
        message: parts.join(' '),
        help: 'CASCADE drops objects nobody listed. Remove their use from the code first, drop the dependents explicitly, then drop without CASCADE so PostgreSQL refuses if anything else still depends on it; back up the data first.',
        suggestion: [
          '-- release N (expand): remove every use of these objects from the code, back up their data, deploy',
          '-- release N+1 (contract), without CASCADE: PostgreSQL refuses while anything unlisted still depends on them',
          ...explicitDrops(ctx.model, reach),
          `${plain};`,
        ].join('\n'),
      },
    ];
  },
};

export default rule;
