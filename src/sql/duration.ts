/** PostgreSQL time settings ("2s", "500ms", "1min", bare number = ms) as lock_timeout accepts them; units are case-sensitive, as in PostgreSQL. */

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/;

export function isDuration(s: string): boolean {
  return DURATION.test(s);
}

/** Milliseconds of a PostgreSQL duration string; null when it is not one. */
export function durationToMs(s: string): number | null {
  const m = DURATION.exec(s);
  if (!m) return null;
  return Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1);
}
