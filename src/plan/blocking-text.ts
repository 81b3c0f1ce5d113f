/** How a blocking step reads in plans, the apply refusal and its log. */
import { formatBytes, formatDurationRange, formatRows } from '../locks/estimate.js';
import type { StepBlocking } from './model.js';

/** "rewrite of public.accounts (2.0M rows, 130 MB) under ACCESS EXCLUSIVE, about 7 s (4 s to 21 s)". */
export function describeBlocking(b: Pick<StepBlocking, 'work' | 'schema' | 'name' | 'size' | 'estimate'> & { lock: string }): string {
  const table = b.schema ? `${b.schema}.${b.name}` : b.name;
  const size = b.size ? `${formatRows(b.size.rows)}, ${formatBytes(b.size.bytes)}` : 'size unknown';
  return `${b.work} of ${table} (${size}) under ${b.lock}${b.estimate ? `, ${formatDurationRange(b.estimate)}` : ''}`;
}
