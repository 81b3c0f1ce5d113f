/** Column definitions introduced by a statement (CREATE TABLE and ADD COLUMN), for hygiene rules. */
import type { RuleContext } from '../src/lint/types.js';
import { typeRefFromTypeName, type TypeRef } from '../src/sql/ast.js';

export interface NewColumn {
  def: { name: string; type: TypeRef; constraints: any[]; node: any };
}

export function columnDefs(ctx: RuleContext): NewColumn[] {
  const n = ctx.stmt.node;
  const defs: any[] = [];
  if (ctx.stmt.kind === 'CreateStmt') for (const el of n.tableElts ?? []) if (el.ColumnDef) defs.push(el.ColumnDef);
  if (ctx.stmt.kind === 'AlterTableStmt') for (const c of n.cmds ?? []) if (c?.AlterTableCmd?.subtype === 'AT_AddColumn' && c.AlterTableCmd.def?.ColumnDef) defs.push(c.AlterTableCmd.def.ColumnDef);
  return defs
    .filter((d) => d.typeName)
    .map((d) => ({
      def: { name: String(d.colname), type: typeRefFromTypeName(d.typeName), constraints: (d.constraints ?? []).map((c: any) => c?.Constraint).filter(Boolean), node: d },
    }));
}

/** ALTER COLUMN ... TYPE targets, for hygiene rules that judge the new type. */
export function alteredTypes(ctx: RuleContext): Array<{ name: string; type: TypeRef }> {
  if (ctx.stmt.kind !== 'AlterTableStmt') return [];
  const out: Array<{ name: string; type: TypeRef }> = [];
  for (const c of ctx.stmt.node.cmds ?? []) {
    const cmd = c?.AlterTableCmd;
    if (cmd?.subtype === 'AT_AlterColumnType' && cmd.def?.ColumnDef?.typeName) out.push({ name: String(cmd.name), type: typeRefFromTypeName(cmd.def.ColumnDef.typeName) });
  }
  return out;
}
