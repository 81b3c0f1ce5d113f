import { functionCalls } from './ast.js';
import { NON_VOLATILE_FUNCTIONS, VOLATILE_FUNCTIONS } from './volatility-data.js';

export type Volatility = 'volatile' | 'stable' | 'immutable';

const VOLATILE = new Set(VOLATILE_FUNCTIONS);
const NON_VOLATILE = new Set(NON_VOLATILE_FUNCTIONS);

/** Volatility of user-defined functions seen in the migration history. */
export type KnownFunctions = ReadonlyMap<string, Volatility>;

export interface VolatilityVerdict {
  volatile: boolean;
  /** The function that makes it volatile, for messages. */
  culprit: string | null;
}

/** True when the function's volatility is known: a built-in on the lists, or a user function a source defined. */
export function isKnownFunction(fn: string, known: KnownFunctions = new Map()): boolean {
  return known.has(fn) || VOLATILE.has(fn) || NON_VOLATILE.has(fn);
}

/**
 * Whether an expression must be evaluated once per row. Unknown functions count
 * as volatile: CREATE FUNCTION defaults to VOLATILE, and a wrong "safe" verdict
 * here hides a full table rewrite.
 */
export function expressionVolatility(expr: unknown, known: KnownFunctions = new Map()): VolatilityVerdict {
  for (const fn of functionCalls(expr)) {
    const user = known.get(fn);
    if (user) {
      if (user === 'volatile') return { volatile: true, culprit: fn };
      continue;
    }
    if (VOLATILE.has(fn)) return { volatile: true, culprit: fn };
    if (NON_VOLATILE.has(fn)) continue;
    return { volatile: true, culprit: fn };
  }
  return { volatile: false, culprit: null };
}
