import { cloneTree, findInsertion, outsideTransactionFix, sameTree, type Fix, type FixFile } from '../src/lint/fix.js';
import { effectsOf, insertAfter, lockPhrase, mainLock, onPreExisting } from '../src/lint/rule-kit.js';
import type { Rule, RuleContext } from '../src/lint/types.js';
import { qnameFromRangeVar } from '../src/sql/ast.js';
import { SUPPLY_SCHEMA } from '../src/schema/model.js';

/**
 * `CREATE INDEX` -> `CREATE INDEX CONCURRENTLY [IF NOT EXISTS]`, in place when the statement
 * runs outside a transaction block, or moved after the COMMIT of its explicit BEGIN block when
 * nothing later in the block can depend on the index. Not offered in framework-wrapped files,
 * multi-statement query strings or DO blocks (CONCURRENTLY would fail there), nor on a
 * partitioned table (CREATE INDEX CONCURRENTLY does not support them), nor when the schema
 * model already has an object of the index's name (IF NOT EXISTS would hide the clash).
 */
function fix(ctx: RuleContext, file: FixFile): Fix | null {
  const n = ctx.stmt.node;
  if (ctx.stmt.kind !== 'IndexStmt' || n.concurrent) return null;
  // ON ONLY is for partitioned tables, which CONCURRENTLY does not support.
  const rel = ctx.model.relation(qnameFromRangeVar(n.relation));
  if (rel?.kind === 'partitioned-table' || !n.relation?.inh) return null;
  // IF NOT EXISTS would turn "already exists" into a silent no-op: not when the name is known taken.
  if (n.idxname && !n.if_not_exists && ctx.model.hasObject(`${rel?.schema ?? n.relation.schemaname ?? ctx.model.creationSchema()}.${n.idxname}`)) return null;
  const want = cloneTree(n);
  want.concurrent = true;
  if (n.idxname) want.if_not_exists = true;
  const text = n.idxname && !n.if_not_exists ? ' CONCURRENTLY IF NOT EXISTS' : ' CONCURRENTLY';
  const accept = (node: any) => sameTree(node, want);
  const ins = findInsertion(file, ctx.stmt, text, accept, (t) => t.upper === 'INDEX');
  if (!ins) return null;
  const table = String(n.relation?.relname ?? '');
  // An unnamed index gets a generated name starting with the table's.
  return outsideTransactionFix(ctx, file, [ins], accept, { names: [table, n.idxname ?? ''], prefixes: n.idxname ? [] : [`${table}_`] });
}

const rule: Rule = {
  meta: {
    id: 'require-concurrent-index',
    category: 'blocking',
    defaultSeverity: 'error',
    summary: 'CREATE INDEX without CONCURRENTLY on an existing table blocks writes for the whole build.',
    lock: 'SHARE',
    fixable: true,
    docs: {
      description:
        'A plain CREATE INDEX takes a SHARE lock on the table: every INSERT, UPDATE and DELETE waits until the index is built, which on a large table means minutes. CREATE INDEX CONCURRENTLY builds it with a SHARE UPDATE EXCLUSIVE lock while writes continue. It cannot run inside a transaction block, and if it fails it leaves an INVALID index that must be dropped before retrying.',
      bad: 'CREATE INDEX users_email_idx ON users (email);',
      good: '-- outside a transaction block\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);',
      links: ['https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY'],
    },
  },
  check(ctx) {
    return onPreExisting(effectsOf(ctx, 'create-index')).map((effect) => {
      const rel = effect.table ? ctx.model.relations.get(effect.table.key) : undefined;
      if (rel?.kind === 'partitioned-table') {
        // CONCURRENTLY is not supported on a partitioned table: build per partition, then attach.
        const parts = [...rel.partitions];
        const name = String(ctx.stmt.node.idxname ?? `${rel.name}_idx`);
        // Everything after the table name (USING, columns, INCLUDE, WHERE) applies to each partition too.
        const rest = /\bON\s+(?:ONLY\s+)?(?:"[^"]*"|[^\s(]+)\s*([\s\S]*)$/i.exec(ctx.stmt.text)?.[1] ?? '(...)';
        return {
          effect,
          message: `CREATE INDEX on partitioned table ${rel.key} takes ${lockPhrase(mainLock(effect))} and the same lock on every partition until all indexes are built.`,
          help: 'CREATE INDEX CONCURRENTLY does not support partitioned tables: create the index ON ONLY the parent (instant, INVALID), build each partition\'s index CONCURRENTLY and ATTACH it; the parent index becomes valid when all are attached.',
          suggestion: [
            // ATTACH takes ACCESS EXCLUSIVE on each partition's index for a moment: do not queue behind a long query.
            "SET lock_timeout = '2s';",
            `${insertAfter(ctx.stmt.text, /\bON\s+/i, 'ONLY ')};`,
            ...(parts.length ? parts : ['<partition>']).flatMap((p) => {
              const partName = p.split('.').pop()!;
              const ix = `${partName}_${name}`.slice(0, 63);
              return [`CREATE INDEX CONCURRENTLY ${ix} ON ${partName} ${rest};`, `ALTER INDEX ${name} ATTACH PARTITION ${ix};`];
            }),
          ].join('\n'),
          fix: (file: FixFile) => fix(ctx, file),
        };
      }
      // ON ONLY on a table the model does not know: a partitioned table would build nothing (create-index-on-only).
      if (ctx.stmt.node.relation?.inh !== true && (!rel || rel.placeholder)) {
        return {
          effect,
          severity: 'warning' as const,
          message: `CREATE INDEX ... ON ONLY ${effect.table?.display ?? 'the table'}: on a partitioned table it builds nothing (an invalid parent index for the partitions' indexes to attach to), on a plain table it builds the index under ${lockPhrase(mainLock(effect))}; ddlguard does not know which this is.`,
          help: `Tell ddlguard the schema (${SUPPLY_SCHEMA}); on a plain table, build the index with CREATE INDEX CONCURRENTLY, outside a transaction block.`,
        };
      }
      return {
        effect,
        message: `CREATE INDEX without CONCURRENTLY takes ${lockPhrase(mainLock(effect))} until the index is built.`,
        help: 'Build the index with CREATE INDEX CONCURRENTLY, outside a transaction block; if it fails, drop the INVALID index before retrying.',
        suggestion: insertAfter(ctx.stmt.text, /^\s*CREATE\s+(UNIQUE\s+)?INDEX\b/i, ' CONCURRENTLY') + ';',
        fix: (file: FixFile) => fix(ctx, file),
      };
    });
  },
};

export default rule;
