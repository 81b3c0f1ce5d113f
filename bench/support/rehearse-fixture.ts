/**
 * A "production" schema for the rehearsal's synthetic data: composite keys, unique and
 * partial unique indexes, a 3-level foreign-key chain, CHECKs, an enum, domains, arrays,
 * jsonb and timestamps, filled with skewed data (`scale` 1: 100,000 rows in all).
 * Shared by test/rehearse/synth.test.ts and bench/synth.ts.
 */
import pg from 'pg';

export const REHEARSE_SCHEMA = `
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled', 'refunded');
CREATE DOMAIN email AS text CHECK (VALUE LIKE '%_@_%');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
CREATE TABLE customers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email email NOT NULL,
  name text,
  country char(2) NOT NULL,
  tags text[],
  prefs jsonb,
  score double precision,
  created_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX customers_email_live ON customers (email) WHERE deleted_at IS NULL;
CREATE INDEX customers_created ON customers (created_at);
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers,
  status order_status NOT NULL,
  total numeric(10, 2) CHECK (total >= 0),
  placed_at timestamptz NOT NULL,
  shipped_on date,
  ref varchar(24) UNIQUE,
  CONSTRAINT orders_shipped_status CHECK (shipped_on IS NULL OR status <> 'new')
);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE TABLE order_lines (
  order_id bigint NOT NULL REFERENCES orders ON DELETE CASCADE,
  line_no smallint NOT NULL CHECK (line_no BETWEEN 1 AND 40),
  sku varchar(16) NOT NULL,
  qty positive_int NOT NULL,
  unit_price numeric(8, 2) NOT NULL,
  PRIMARY KEY (order_id, line_no)
);
CREATE UNIQUE INDEX order_lines_sku_per_order ON order_lines (order_id, lower(sku));
`;

/** Skewed rows: customers 20,000, orders 50,000, order lines 30,000 at scale 1. */
export function rehearseData(scale = 1): string {
  const c = Math.round(20_000 * scale);
  const o = Math.round(50_000 * scale);
  const l = Math.round(30_000 * scale);
  return `
SELECT setseed(0.42);
INSERT INTO customers (email, name, country, tags, prefs, score, created_at, deleted_at)
SELECT 'user' || g || '@' || (ARRAY['example.com', 'mail.test', 'corp.example'])[1 + g % 3],
       CASE WHEN g % 10 = 0 THEN NULL ELSE (ARRAY['Ann', 'Bob', 'Chen', 'Dana', 'Eve', 'Farid'])[1 + (g * 7) % 6] || ' ' || (g % 900) END,
       (ARRAY['US', 'US', 'US', 'DE', 'FR', 'GB', 'IN', 'BR'])[1 + floor(power(random(), 2) * 8)::int],
       CASE WHEN g % 4 = 0 THEN NULL ELSE ARRAY['t' || (g % 13), 't' || (g % 7)] END,
       CASE WHEN g % 2 = 0 THEN NULL ELSE jsonb_build_object('lang', (ARRAY['en', 'de', 'fr'])[1 + g % 3], 'n', g % 50) END,
       CASE WHEN g % 5 = 0 THEN NULL ELSE round((random() * 100)::numeric, 3)::float8 END,
       timestamptz '2024-01-01' + (power(random(), 0.5) * interval '700 days'),
       CASE WHEN g % 20 = 0 THEN timestamptz '2025-06-01' + g * interval '1 minute' END
  FROM generate_series(1, ${c}) g;
INSERT INTO orders (customer_id, status, total, placed_at, shipped_on, ref)
SELECT 1 + floor(power(random(), 3) * ${c})::int,
       s.st,
       CASE WHEN g % 25 = 0 THEN NULL ELSE round((10 + power(random(), 2) * 990)::numeric, 2) END,
       timestamptz '2024-06-01' + random() * interval '500 days',
       CASE WHEN s.st IN ('shipped', 'refunded') THEN date '2024-06-01' + (g % 500) END,
       CASE WHEN g % 5 = 0 THEN NULL ELSE 'R' || lpad(to_hex(g * 2654435761 % 4294967296), 8, '0') || '-' || g END
  FROM generate_series(1, ${o}) g,
       LATERAL (SELECT (ARRAY['shipped', 'shipped', 'shipped', 'shipped', 'shipped', 'paid', 'paid', 'new', 'cancelled', 'refunded'])[1 + (g * 7919 + g / 3) % 10]::order_status AS st) s;
INSERT INTO order_lines (order_id, line_no, sku, qty, unit_price)
SELECT o.id, n.line_no, 'SKU-' || lpad(((o.id * 31 + n.line_no * 17) % 3000)::text, 5, '0'), 1 + floor(power(random(), 4) * 20)::int, round((1 + random() * 200)::numeric, 2)
  FROM (SELECT id, 1 + (id % 4)::int AS lines FROM orders WHERE id % 5 <> 0 ORDER BY id) o
  CROSS JOIN LATERAL generate_series(1, o.lines) AS n(line_no)
 LIMIT ${l};
ANALYZE;
`;
}



export interface ColumnFidelity {
  column: string;
  source: { nullFrac: number; distinct: number; width: number };
  generated: { nullFrac: number; distinct: number; width: number };
  /** |generated - source| null fraction, absolute. */
  nullFracDiff: number;
  /** |generated - source| / source distinct count (both as counts: negative n_distinct times the rows). */
  distinctDiff: number;
  /** |generated - source| / source avg_width. */
  widthDiff: number;
}

/** pg_stats of every user column on two databases (both analyzed), compared. */
export async function compareColumnStats(sourceUrl: string, generatedUrl: string): Promise<ColumnFidelity[]> {
  const read = async (url: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const r = await c.query(`SELECT s.tablename || '.' || s.attname AS col, s.null_frac::float8 AS nf, s.avg_width AS w, s.n_distinct::float8 AS nd, c.reltuples::float8 AS rows
          FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname
         WHERE s.schemaname = 'public'`);
      return new Map(r.rows.map((x) => [x.col as string, { nullFrac: Number(x.nf), width: Number(x.w), distinct: Number(x.nd) < 0 ? -Number(x.nd) * Number(x.rows) : Number(x.nd) }]));
    } finally {
      await c.end();
    }
  };
  const [a, b] = await Promise.all([read(sourceUrl), read(generatedUrl)]);
  const out: ColumnFidelity[] = [];
  for (const [col, s] of a) {
    const g = b.get(col);
    if (!g) continue;
    out.push({ column: col, source: s, generated: g, nullFracDiff: Math.abs(g.nullFrac - s.nullFrac), distinctDiff: Math.abs(g.distinct - s.distinct) / Math.max(1, s.distinct), widthDiff: Math.abs(g.width - s.width) / Math.max(1, s.width) });
  }
  return out.sort((x, y) => x.column.localeCompare(y.column));
}
