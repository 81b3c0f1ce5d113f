import pg from 'pg';
import type { Plan, PlanStep } from '../../src/apply/types.js';

export async function client(url: string, applicationName = 'test'): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: applicationName });
  c.on('error', () => {});
  await c.connect();
  return c;
}

export function step(id: string, sql: string, extra: Partial<PlanStep> = {}): PlanStep {
  return {
    id,
    phase: 'expand',
    sql,
    transaction: 'own',
    lock: null,
    guard: { kind: 'lock-timeout', lockTimeoutMs: 5000, retries: 30 },
    doneCheck: null,
    rollback: null,
    irreversible: false,
    ...extra,
  };
}

export function plan(id: string, steps: PlanStep[]): Plan {
  return { version: 1, id, sourceHash: 'test', pgVersion: 18, steps };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
