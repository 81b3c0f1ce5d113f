import type { Rule, RuleContext, RuleReport } from '../src/lint/types.js';
import { qnameFromList, stringValue } from '../src/sql/ast.js';
import { createdHere, listed } from './_drops.js';

/** The roles a GRANT / REVOKE names, as written (`PUBLIC` for PUBLIC). */
function roleNames(specs: any[] | undefined): string[] {
  return (specs ?? []).map((r: any) => {
    const s = r?.RoleSpec;
    if (!s || s.roletype === 'ROLESPEC_PUBLIC') return 'PUBLIC';
    return s.roletype === 'ROLESPEC_CSTRING' ? String(s.rolename) : String(s.roletype).replace('ROLESPEC_', '');
  });
}

/** The objects a REVOKE names that existed before this file ([] when all were made in it). */
function existingObjects(ctx: RuleContext, n: any): string[] {
  const m = ctx.model;
  if (n.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') return (n.objects ?? []).map((o: any) => `every ${String(n.objtype).replace('OBJECT_', '').toLowerCase()} in schema ${stringValue(o)}`);
  const out: string[] = [];
  for (const o of n.objects ?? []) {
    if (o?.RangeVar) {
      const key = m.resolveKey({ schema: o.RangeVar.schemaname ?? null, name: String(o.RangeVar.relname) });
      if (!createdHere(ctx, m.relations.get(key)?.origin)) out.push(key);
    } else if (o?.ObjectWithArgs) {
      const name = qnameFromList(o.ObjectWithArgs.objname ?? []).name.toLowerCase();
      if (!createdHere(ctx, m.functionOrigins.get(name))) out.push(`${name}()`);
    } else if (n.objtype === 'OBJECT_SCHEMA') {
      const s = stringValue(o);
      if (!createdHere(ctx, m.schemaOrigins.get(s))) out.push(`schema ${s}`);
    } else if (o?.TypeName || o?.List) {
      const q = qnameFromList(o.TypeName?.names ?? o.List?.items ?? []);
      const key = m.resolveKey(q, (k) => m.enums.has(k) || m.domains.has(k));
      if (!createdHere(ctx, (m.enums.get(key) ?? m.domains.get(key))?.origin)) out.push(key);
    } else {
      out.push(stringValue(o) || 'the object');
    }
  }
  return out;
}

/** The REVOKE turned back into the GRANT that undoes it, for the suggestion. */
function undo(text: string): string {
  return text
    .replace(/^\s*REVOKE\s+/i, 'GRANT ')
    .replace(/\bFROM\b(?![\s\S]*\bFROM\b)/i, 'TO')
    .replace(/\s+(CASCADE|RESTRICT)\s*$/i, '')
    .replace(/\s+GRANTED\s+BY\s+\S+\s*$/i, '');
}

const rule: Rule = {
  meta: {
    id: 'revoke-privileges',
    category: 'compatibility',
    defaultSeverity: 'warning',
    summary: 'REVOKE on an existing object (or of a role membership): running code that uses the privilege fails with permission denied.',
    lock: 'none (ACCESS SHARE on each table from PostgreSQL 18)',
    docs: {
      description:
        'A REVOKE takes effect for new statements the moment it commits: queries that the role (or any role that has it through membership, or every role for PUBLIC) runs on that object fail with "permission denied". Revoking a role membership removes every privilege that came with it. Make sure no deployed code runs as those roles against the object first (pg_stat_statements per user, the application\'s connection settings), and keep the GRANT that undoes it at hand. Revokes on objects created in the same file are not reported.',
      bad: 'REVOKE SELECT ON orders FROM reporting;',
      good: '-- after checking that nothing still reads orders as reporting (pg_stat_statements, jobs):\nREVOKE SELECT ON orders FROM reporting;\n-- to undo: GRANT SELECT ON orders TO reporting;',
      links: ['https://www.postgresql.org/docs/current/sql-revoke.html', 'https://www.postgresql.org/docs/current/ddl-priv.html'],
    },
  },
  check(ctx) {
    const n = ctx.stmt.node;
    const out: RuleReport[] = [];
    if (ctx.stmt.kind === 'GrantStmt' && !n.is_grant && !n.grant_option) {
      const objects = existingObjects(ctx, n);
      if (objects.length === 0) return [];
      const privs = (n.privileges ?? []).map((p: any) => String(p?.AccessPriv?.priv_name ?? '').toUpperCase()).filter(Boolean);
      const what = privs.length ? listed(privs) : 'ALL';
      const roles = roleNames(n.grantees);
      const whom = roles.includes('PUBLIC') ? `PUBLIC (every role that relies on PUBLIC's privilege)` : `${listed(roles)} (and the roles that are members of ${roles.length === 1 ? 'it' : 'them'})`;
      const effect = ctx.effects.effects[0];
      out.push({
        ...(effect ? { effect } : {}),
        message: `REVOKE ${what} on ${listed(objects)} from ${whom}: from the moment it commits, running code that uses it as those roles fails with "permission denied".`,
        help: 'Check that no deployed code, job or report uses the privilege as these roles (pg_stat_statements by user, connection settings), then revoke; keep the GRANT that undoes it ready.',
        suggestion: `-- once nothing running needs it:\n${ctx.stmt.text};\n-- to undo:\n${undo(ctx.stmt.text)};`,
      });
    } else if (ctx.stmt.kind === 'GrantRoleStmt' && !n.is_grant && !n.opt) {
      const granted = (n.granted_roles ?? []).map((r: any) => String(r?.AccessPriv?.priv_name ?? '')).filter(Boolean);
      const from = roleNames(n.grantee_roles);
      const effect = ctx.effects.effects[0];
      out.push({
        ...(effect ? { effect } : {}),
        message: `REVOKE ${listed(granted)} FROM ${listed(from)}: ${from.length === 1 ? 'it loses' : 'they lose'} every privilege ${granted.length === 1 ? 'that role' : 'those roles'} gave, and running code connected as ${from.length === 1 ? 'it' : 'them'} fails with "permission denied" where it used them.`,
        help: 'Check which objects the membership gave access to and that nothing running as these roles still needs them, then revoke; keep the GRANT that undoes it ready.',
        suggestion: `-- once nothing running needs it:\n${ctx.stmt.text};\n-- to undo:\n${undo(ctx.stmt.text)};`,
      });
    }
    return out;
  },
};

export default rule;
