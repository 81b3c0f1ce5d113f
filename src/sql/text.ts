/**
 * Plain code-unit string order. Sorting with localeCompare would load ICU's collator on
 * first use (about 12 ms), a large share of `ddlguard lint one.sql`; paths and rule ids
 * need a stable order, not a linguistic one.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
