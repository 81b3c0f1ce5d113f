// Child-process rollback for the crash test: runs the compiled rollback (dist/, built by
// `npm test` before vitest) on a plan file.
//   node test/apply/child-rollback.mjs <plan.json> <url>   (options: DDLGUARD_TEST_OPTS json)
import { readFileSync } from 'node:fs';
import { rollbackPlan } from '../../dist/src/apply/rollback.js';

const [planPath, url] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planPath, 'utf8'));
const opts = JSON.parse(process.env.DDLGUARD_TEST_OPTS ?? '{}');
const r = await rollbackPlan(plan, { db: url, format: 'json', handleSignals: true, wait: true, yes: true, ...opts });
process.exitCode = r.exitCode;
