/**
 * PostgreSQL memory sizes ("64MB", "1GB", "8kB", bare number = bytes) as the server's own
 * settings accept them: units are case-sensitive and multiples of 1024, as in PostgreSQL.
 */

const UNIT_BYTES: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const SIZE = /^\s*(\d+(?:\.\d+)?)\s*(B|kB|MB|GB|TB)?\s*$/;

/** Bytes of a size given as a number (bytes) or a PostgreSQL size string; null when it is neither. */
export function sizeToBytes(v: string | number): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : null;
  const m = SIZE.exec(v);
  if (!m) return null;
  return Math.round(Number(m[1]) * (UNIT_BYTES[m[2] ?? 'B'] ?? 1));
}
