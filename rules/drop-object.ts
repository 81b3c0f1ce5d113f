import { effectsOf, lockPhrase, mainLock } from '../src/lint/rule-kit.js';
import type { Rule, RuleContext, RuleReport } from '../src/lint/types.js';
import type { Effect } from '../src/locks/classify.js';
import { createdHere, listed } from './_drops.js';

const WORDS: Record<string, string> = {
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized view',
  OBJECT_SEQUENCE: 'sequence',
  OBJECT_FUNCTION: 'function',
  OBJECT_PROCEDURE: 'procedure',
  OBJECT_ROUTINE: 'routine',
  OBJECT_TYPE: 'type',
  OBJECT_DOMAIN: 'domain',
  OBJECT_SCHEMA: 'schema',
};

/** The existing objects a (non-CASCADE) drop names: made before this file, or unknown (assumed to exist). */
function existing(ctx: RuleContext, e: Effect): string[] {
  const n = ctx.stmt.node;
  const m = ctx.model;
  const r = e.reach;
  if (!r) return [];
  const known = r.named.filter((name) => {
    switch (n.removeType) {
      case 'OBJECT_SCHEMA':
        return !createdHere(ctx, m.schemaOrigins.get(name));
      case 'OBJECT_FUNCTION':
      case 'OBJECT_PROCEDURE':
      case 'OBJECT_ROUTINE':
        return !createdHere(ctx, m.functionOrigins.get(name));
      case 'OBJECT_TYPE':
      case 'OBJECT_DOMAIN':
        return !createdHere(ctx, (m.enums.get(name) ?? m.domains.get(name))?.origin);
      default:
        return !createdHere(ctx, m.relations.get(name)?.origin);
    }
  });
  // Unknown objects existed before (PostgreSQL would reject the drop otherwise), unless IF EXISTS.
  return n.missing_ok ? known : [...known, ...r.unnamed];
}

const rule: Rule = {
  meta: {
    id: 'drop-object',
    category: 'compatibility',
    defaultSeverity: 'warning',
    summary: 'Dropping a view, materialized view, sequence, function, type or schema that deployed code may still use.',
    lock: 'ACCESS EXCLUSIVE on a dropped view or sequence; none for functions, types and schemas',
    docs: {
      description:
        'Like a table, a view, sequence, function, type or schema that is dropped breaks every running query, job or service that still uses it: SELECT from the view, nextval() on the sequence, a call of the function, a cast to the type. Stop using it in the code and deploy first; drop it in a later release. (DROP ... CASCADE is drop-cascade\'s finding; recreating a view or function in the same transaction is safe, ignore the finding for that statement.)',
      bad: 'DROP VIEW active_users;',
      good: '-- release N: remove every use of active_users from the code, deploy\n-- release N+1:\nDROP VIEW active_users;',
      links: [
        'https://www.postgresql.org/docs/current/sql-dropview.html',
        'https://www.postgresql.org/docs/current/sql-dropfunction.html',
        'https://www.postgresql.org/docs/current/sql-dropsequence.html',
        'https://www.postgresql.org/docs/current/sql-droptype.html',
      ],
    },
  },
  check(ctx) {
    const n = ctx.stmt.node;
    const word = WORDS[String(n.removeType)];
    if (ctx.stmt.kind !== 'DropStmt' || !word || n.behavior === 'DROP_CASCADE') return [];
    const out: RuleReport[] = [];
    for (const effect of effectsOf(ctx, 'drop-view', 'drop-sequence', 'drop-function', 'drop-type', 'drop-schema')) {
      const names = existing(ctx, effect);
      if (names.length === 0) continue;
      const r = effect.reach!;
      // What depends on it makes PostgreSQL refuse the drop: say so.
      const m = ctx.model;
      const blockers = [...m.relations.values()]
        .filter((v) => (v.kind === 'view' || v.kind === 'materialized-view') && !r.relations.includes(v.key) && v.dependsOn.some((d) => r.relations.includes(d)))
        .map((v) => v.key);
      // Columns of a dropped type, and a schema's own contents, make PostgreSQL refuse too.
      const types = new Set(r.types);
      if (types.size) {
        for (const rel of m.relations.values()) {
          if (rel.kind === 'view') continue;
          for (const c of rel.columns.values()) if (types.has(m.resolveKey({ schema: c.type.schema, name: c.type.name }, (k) => m.enums.has(k) || m.domains.has(k)))) blockers.push(`column ${rel.key}.${c.name}`);
        }
      }
      const contents = n.removeType === 'OBJECT_SCHEMA' ? [...r.relations, ...r.types] : [];
      const lock = mainLock(effect);
      const shown = names.map((x) => (/FUNCTION|PROCEDURE|ROUTINE/.test(String(n.removeType)) ? `${x}()` : x));
      const refuses = [contents.length ? `it still contains ${listed(contents)}` : '', blockers.length ? `${listed(blockers)} depend${blockers.length === 1 ? 's' : ''} on it` : ''].filter(Boolean);
      out.push({
        effect,
        message: `Dropping ${word} ${listed(shown)} breaks any running code that still uses it${lock ? `; it takes ${lockPhrase(lock)}` : ''}.${refuses.length ? ` PostgreSQL refuses while ${refuses.join(' and ')}.` : ''}`,
        help: `Remove every use of the ${word} from the code and deploy that first; drop it in a later release. If this transaction recreates it (a new definition), readers only wait: ignore the finding for this statement.`,
        suggestion: [`-- release N (expand): remove every use of ${listed(shown)} from the code, deploy`, '-- release N+1 (contract):', `${ctx.stmt.text};`].join('\n'),
      });
    }
    return out;
  },
};

export default rule;
