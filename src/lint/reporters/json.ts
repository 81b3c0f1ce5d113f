/** The LintResult itself: `{"version":1,"findings":[...],"errors":[...],"summary":{...}}`, 2-space indented. */
import type { LintResult } from '../types.js';
import type { ReporterContext } from './types.js';

export function jsonReporter(result: LintResult, _ctx?: ReporterContext): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}
