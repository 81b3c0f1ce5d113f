import { effectsOf, ident, relSql } from '../src/lint/rule-kit.js';
import type { Rule, RuleReport, Severity } from '../src/lint/types.js';
import { SUPPLY_SCHEMA, type PolicyModel } from '../src/schema/model.js';
import { listed } from './_drops.js';

/** Permissive policies that let some role read rows (FOR ALL or FOR SELECT). */
function readers(policies: readonly PolicyModel[]): PolicyModel[] {
  return policies.filter((p) => p.permissive && (p.command === 'all' || p.command === 'select'));
}

const rule: Rule = {
  meta: {
    id: 'row-security-hides-rows',
    category: 'compatibility',
    defaultSeverity: 'error',
    summary: 'ENABLE / FORCE ROW LEVEL SECURITY on an existing table whose readers have no policy: their queries return no rows.',
    lock: 'ACCESS EXCLUSIVE',
    docs: {
      description:
        'Once row level security is enabled, a role that is not the owner, a superuser or BYPASSRLS sees only the rows a permissive policy for it allows, and with no policy at all it sees none: SELECT returns nothing and UPDATE / DELETE change nothing, without an error. FORCE ROW LEVEL SECURITY subjects the owner too, which is often the role the application connects as. Create the policies first (they have no effect until row security is enabled), for every role that reads or writes the table, then enable it.',
      bad: 'ALTER TABLE documents ENABLE ROW LEVEL SECURITY;',
      good: "-- first the policy (for every role: TO PUBLIC is the default), then row security\nCREATE POLICY documents_tenant ON documents USING (tenant_id = current_setting('app.tenant_id')::bigint);\nALTER TABLE documents ENABLE ROW LEVEL SECURITY;",
      links: ['https://www.postgresql.org/docs/current/ddl-rowsecurity.html', 'https://www.postgresql.org/docs/current/sql-createpolicy.html', 'https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-DESC-ENABLE-ROW-LEVEL-SECURITY'],
    },
  },
  check(ctx) {
    const out: RuleReport[] = [];
    for (const effect of effectsOf(ctx, 'row-security', 'row-security-force')) {
      const t = effect.table;
      const sub = effect.node?.subtype;
      if (!t?.preExisting || (sub !== 'AT_EnableRowSecurity' && sub !== 'AT_ForceRowSecurity')) continue;
      const rel = ctx.model.relations.get(t.key);
      const force = sub === 'AT_ForceRowSecurity';
      // Already in that state: nothing changes for readers.
      if (rel?.rowSecurity && (force ? rel.rowSecurity.forced : rel.rowSecurity.enabled)) continue;
      // FORCE on a table whose row security is off changes nothing yet (ENABLE is then the statement that hides rows).
      if (force && rel?.rowSecurity && !rel.rowSecurity.enabled) continue;
      const owner = force || rel?.rowSecurity?.forced;
      const who = owner ? 'every role, the table owner included (often the role the application connects as),' : 'every role other than the owner, superusers and BYPASSRLS roles';
      const others = owner ? 'any other role, the owner included,' : 'any other role (not the owner, a superuser or BYPASSRLS)';
      const table = relSql(effect);
      const bare = t.key.slice(t.key.indexOf('.') + 1);
      const policy = `CREATE POLICY ${ident(`${bare}_read`)} ON ${table} FOR ALL TO <application role> USING (true) WITH CHECK (true);  -- narrow USING to the rows each role may see`;
      const suggestion = ['-- first, a policy for every role that reads or writes the table (no effect until row security is on):', policy, `${ctx.stmt.text};`].join('\n');
      let message: string;
      let severity: Severity | undefined;
      const policies = rel?.policies ? [...rel.policies.values()] : null;
      if (!policies) {
        severity = 'warning';
        const why = rel?.placeholder || !rel ? `no source defined the table (${SUPPLY_SCHEMA})` : 'its schema source does not record policies';
        message = `${force ? 'FORCE' : 'ENABLE'} ROW LEVEL SECURITY on ${t.display}: ${who} then sees only the rows a policy allows, and ddlguard does not know this table's policies (${why}). Without one, their queries return no rows.`;
      } else if (readers(policies).length === 0) {
        message = `${force ? 'FORCE' : 'ENABLE'} ROW LEVEL SECURITY on ${t.display}, which has ${policies.length === 0 ? 'no policy' : `no permissive policy for reading (only ${listed(policies.map((p) => p.name))})`}: ${who} sees no rows from then on: SELECT returns nothing and UPDATE / DELETE change nothing, without an error, and INSERT fails.`;
      } else {
        const roles = [...new Set(readers(policies).flatMap((p) => p.roles))];
        if (roles.includes('public')) continue;
        severity = 'warning';
        message = `${force ? 'FORCE' : 'ENABLE'} ROW LEVEL SECURITY on ${t.display}: only ${listed(roles)} ha${roles.length === 1 ? 's' : 've'} a policy to read it; ${others} sees no rows from then on.`;
      }
      const r: RuleReport = {
        effect,
        message,
        help: 'Create the policies first (they take effect only when row security is enabled), for every role that reads or writes the table, then enable it.',
        suggestion,
      };
      if (severity) r.severity = severity;
      out.push(r);
    }
    return out;
  },
};

export default rule;
