/**
 * Readers scan throughput: generates an application tree of N source files
 * (TypeScript, Python, Go, Ruby, SQL; default 10,000) where a few percent use
 * users.email, and times the readers stage for a `DROP COLUMN users.email`
 * (glob, read, substring prefilter, literal extraction, libpg-query parsing,
 * resolution) plus a full `lint()` run with readers.paths.
 * Run: `npm run build && node dist/bench/readers.js [files=10000]`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lint } from '../src/index.js';
import { scanCode } from '../src/readers/code.js';
import { targetKey, type ReaderTarget } from '../src/readers/types.js';
import { loadParser } from '../src/sql/parser.js';

const FILLER = Array.from({ length: 40 }, (_, k) => `  const value${k} = compute(input, ${k}); // step ${k} of the pipeline`).join('\n');

/** Templates: most files never mention users or email; some mention one; a few read users.email. */
const TEMPLATES: Array<(i: number) => [string, string]> = [
  (i) => [`src/mod${i % 97}/service${i}.ts`, `import { compute } from '../lib.js';\n\nexport function service${i}(input: number) {\n${FILLER}\n  return value1 + value2;\n}\n`],
  (i) => [`src/mod${i % 97}/orders${i}.ts`, `export async function orders${i}(db: Db, id: number) {\n  return db.query('SELECT o.id, o.amount FROM orders o WHERE o.id = $1', [id]);\n}\n${FILLER.replace(/input/g, 'order')}\n`],
  (i) => [`app/pkg${i % 53}/job${i}.py`, `def job_${i}(cur):\n    """Nightly job ${i}."""\n    cur.execute("SELECT id, amount FROM orders WHERE created_at > %s", (since,))\n    return [row[0] for row in cur.fetchall()]\n` + '\n'.repeat(30)],
  (i) => [`src/mod${i % 97}/profile${i}.ts`, `// user profile screen ${i}\nexport function profile${i}(user: User) {\n  return { id: user.id, name: user.name };\n}\n${FILLER}\n`],
  (i) => [`svc/h${i % 31}/handler${i}.go`, `package h\n\nfunc Handler${i}(db *sql.DB, id int) error {\n\t_, err := db.Exec(\`UPDATE orders SET note = $1 WHERE id = $2\`, "x", id)\n\treturn err\n}\n`],
  (i) => [`src/mod${i % 97}/service${i}b.ts`, `export function helper${i}(input: number) {\n${FILLER}\n  return input;\n}\n`],
  (i) => [`lib/r${i % 17}/model${i}.rb`, `class Order${i} < ApplicationRecord\n  self.table_name = "orders"\n  # email receipts are sent by the mailer\n  def total\n    amount\n  end\nend\n`],
  (i) => [`src/mod${i % 97}/service${i}c.ts`, `export function other${i}(input: string) {\n${FILLER}\n  return input.trim();\n}\n`],
  (i) => [`src/mod${i % 97}/helper${i}.ts`, `export const helper${i} = (x: number) => x * ${i};\n${FILLER}\n`],
  (i) => [`sql/reports/report${i}.sql`, `-- report ${i}\nSELECT date_trunc('day', created_at), sum(amount) FROM orders GROUP BY 1;\n`],
];

/** Every 50th file reads users.email one way or another. */
const READERS: Array<(i: number) => [string, string]> = [
  (i) => [`src/users/repo${i}.ts`, `export async function byEmail${i}(db: Db, email: string) {\n  return db.query(\`SELECT u.id, u.email FROM users u WHERE u.email = \${email}\`);\n}\n${FILLER}\n`],
  (i) => [`app/users/q${i}.py`, `def contact_${i}(cur, uid):\n    cur.execute(\n        "SELECT s.email "\n        "FROM users AS s WHERE s.id = %(id)s",\n        {"id": uid},\n    )\n`],
  (i) => [`app/users/model${i}.py`, `class User${i}(Base):\n    __tablename__ = "users"\n    email = Column(String)\n`],
];

function generate(dir: string, n: number): number {
  let readers = 0;
  for (let i = 0; i < n; i++) {
    const [rel, text] = i % 50 === 0 ? READERS[(i / 50) % READERS.length]!(i) : TEMPLATES[i % TEMPLATES.length]!(i);
    if (i % 50 === 0) readers++;
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  mkdirSync(path.join(dir, 'db/migrations'), { recursive: true });
  writeFileSync(path.join(dir, 'db/migrations/001_users.sql'), 'CREATE TABLE users (id bigint PRIMARY KEY, email text, name text);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, amount numeric, note text, created_at timestamptz);\n');
  writeFileSync(path.join(dir, 'db/migrations/002_drop_email.sql'), "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN email;\n");
  return readers;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 10000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ddlguard-readers-bench-'));
  const readers = generate(dir, n);
  await loadParser();
  const globs = ['**/*.{ts,js,py,rb,go,java,sql}'];
  const target: ReaderTarget = { key: targetKey('column', 'public.users', 'email'), kind: 'column', table: 'public.users', schema: 'public', name: 'users', column: 'email', change: 'drop-column' };
  const catalog = new Map([
    ['public.users', new Set(['id', 'email', 'name'])],
    ['public.orders', new Set(['id', 'user_id', 'amount', 'note', 'created_at'])],
  ]);
  try {
    const runs: number[] = [];
    let summary;
    let hits = 0;
    for (let r = 0; r < 3; r++) {
      const t = process.hrtime.bigint();
      const res = await scanCode({ baseDir: dir, paths: globs, exclude: ['db/migrations/**'], targets: [target], catalog });
      runs.push(Number(process.hrtime.bigint() - t) / 1e6);
      summary = res.summary;
      hits = res.evidence.get(target.key)!.code.length;
    }
    const t = process.hrtime.bigint();
    const full = await lint({ cwd: dir, paths: ['db/migrations/002_drop_email.sql'], history: ['db/migrations'], readers: { paths: globs, baseDir: dir } });
    const lintMs = Number(process.hrtime.bigint() - t) / 1e6;
    const f = full.findings.find((x) => x.rule === 'drop-column');
    console.log(`readers scan: ${summary!.files} files, ${summary!.candidates} passed the substring prefilter, ${hits} reader locations (${readers} files written as readers)`);
    console.log(`  scanCode: first ${runs[0]!.toFixed(0)} ms, best of 3 ${Math.min(...runs).toFixed(0)} ms`);
    console.log(`  lint() with readers.paths (targets pass + scan + rules): ${lintMs.toFixed(0)} ms; finding: ${f?.message ?? 'none'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
