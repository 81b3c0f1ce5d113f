// Child-process applier for the crash and concurrency tests: runs the compiled
// applier (dist/, built by `npm test` before vitest) on a plan file.
//   node test/apply/child-apply.mjs <plan.json> <url>   (options: DDLGUARD_TEST_OPTS json)
import { readFileSync } from 'node:fs';
import { applyPlan } from '../../dist/src/apply/runner.js';

const [planPath, url] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planPath, 'utf8'));
const opts = JSON.parse(process.env.DDLGUARD_TEST_OPTS ?? '{}');
const r = await applyPlan(plan, { db: url, format: 'json', handleSignals: true, wait: true, ...opts });
process.exitCode = r.exitCode;
