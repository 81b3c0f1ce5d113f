/**
 * The rule catalogue. Ids are stable: config files and ignore comments use them.
 */
import type { Rule } from '../src/lint/types.js';
import addColumnDefaultRewrite from './add-column-default-rewrite.js';
import addColumnGeneratedRewrite from './add-column-generated-rewrite.js';
import addColumnRequired from './add-column-required.js';
import attachPartitionScan from './attach-partition-scan.js';
import banTruncate from './ban-truncate.js';
import columnTypeNarrowing from './column-type-narrowing.js';
import columnTypeRewrite from './column-type-rewrite.js';
import concurrentlyInTransaction from './concurrently-in-transaction.js';
import constraintRequiresNotValid from './constraint-requires-not-valid.js';
import dropCascade from './drop-cascade.js';
import dropColumn from './drop-column.js';
import dropObject from './drop-object.js';
import dropTable from './drop-table.js';
import enumValueInTransaction from './enum-value-in-transaction.js';
import expandContractMix from './expand-contract-mix.js';
import identifierTooLong from './identifier-too-long.js';
import lockHeldDuringSlowStatement from './lock-held-during-slow-statement.js';
import matviewUnpopulated from './matview-unpopulated.js';
import preferBigint from './prefer-bigint.js';
import preferIdentity from './prefer-identity.js';
import preferRobustStmts from './prefer-robust-stmts.js';
import preferText from './prefer-text.js';
import preferTimestamptz from './prefer-timestamptz.js';
import renameColumn from './rename-column.js';
import renameEnumValue from './rename-enum-value.js';
import renameTable from './rename-table.js';
import replaceViewColumns from './replace-view-columns.js';
import requireConcurrentDetach from './require-concurrent-detach.js';
import requireConcurrentIndexDrop from './require-concurrent-index-drop.js';
import requireConcurrentIndex from './require-concurrent-index.js';
import requireConcurrentRefresh from './require-concurrent-refresh.js';
import requireConcurrentReindex from './require-concurrent-reindex.js';
import requireLockTimeout from './require-lock-timeout.js';
import requireStatementTimeout from './require-statement-timeout.js';
import revokePrivileges from './revoke-privileges.js';
import rowSecurityHidesRows from './row-security-hides-rows.js';
import setNotNullScan from './set-not-null-scan.js';
import tableRewrite from './table-rewrite.js';
import triggerOnWrite from './trigger-on-write.js';
import unbatchedBackfill from './unbatched-backfill.js';
import uniqueRequiresIndex from './unique-requires-index.js';
import validateDomainConstraint from './validate-domain-constraint.js';
import validateInSameTransaction from './validate-in-same-transaction.js';

export const ALL_RULES: readonly Rule[] = [
  // blocking
  requireConcurrentIndex,
  requireConcurrentIndexDrop,
  requireConcurrentReindex,
  requireConcurrentRefresh,
  requireConcurrentDetach,
  concurrentlyInTransaction,
  constraintRequiresNotValid,
  validateInSameTransaction,
  validateDomainConstraint,
  uniqueRequiresIndex,
  setNotNullScan,
  attachPartitionScan,
  addColumnDefaultRewrite,
  addColumnGeneratedRewrite,
  columnTypeRewrite,
  tableRewrite,
  requireLockTimeout,
  lockHeldDuringSlowStatement,
  unbatchedBackfill,
  enumValueInTransaction,
  // compatibility
  addColumnRequired,
  dropColumn,
  dropTable,
  dropCascade,
  dropObject,
  renameColumn,
  renameTable,
  renameEnumValue,
  replaceViewColumns,
  rowSecurityHidesRows,
  revokePrivileges,
  matviewUnpopulated,
  columnTypeNarrowing,
  banTruncate,
  expandContractMix,
  // hygiene
  preferBigint,
  preferIdentity,
  preferText,
  preferTimestamptz,
  preferRobustStmts,
  identifierTooLong,
  triggerOnWrite,
  requireStatementTimeout,
];

const BY_ID = new Map(ALL_RULES.map((r) => [r.meta.id, r]));

export function ruleById(id: string): Rule | undefined {
  return BY_ID.get(id);
}
