/**
 * Transaction context while walking a migration file: whether a statement runs
 * inside a transaction block (explicit BEGIN, or the framework wrapping the
 * file), and the lock_timeout / statement_timeout in force at that point
 * (SET, SET LOCAL until the transaction ends, RESET, set_config()).
 */
import { constValue, stringValue } from '../sql/ast.js';
import { durationToMs } from '../sql/duration.js';
import type { ParsedStatement } from '../sql/statement.js';

export interface TimeoutSetting {
  /** Milliseconds; 0 means disabled. null when never set in this file. */
  session: number | null;
  /** SET LOCAL value, valid until the transaction ends. */
  local: number | null;
}

export interface TxSnapshot {
  inTransaction: boolean;
  /** Opened by BEGIN in the file (as opposed to the framework's wrapper). */
  explicit: boolean;
  /** Increments at each transaction start; statements outside a block each get their own. */
  serial: number;
  /** Effective lock_timeout in ms (0 = none / unset). */
  lockTimeoutMs: number;
  /** Effective statement_timeout in ms (0 = none / unset). */
  statementTimeoutMs: number;
  /** True when lock_timeout was set somewhere in this file (even if to 0). */
  lockTimeoutMentioned: boolean;
}

export interface TxOptions {
  /** The framework (or the user) wraps the whole file in one transaction. */
  assumeInTransaction: boolean;
  /** A lock_timeout the runner sets before the file runs (config), ms. */
  baseLockTimeoutMs?: number;
  baseStatementTimeoutMs?: number;
}

export class TransactionTracker {
  private inTx: boolean;
  private explicit = false;
  private serial = 1;
  private readonly lock: TimeoutSetting = { session: null, local: null };
  private readonly statement: TimeoutSetting = { session: null, local: null };
  private lockMentioned = false;

  constructor(private readonly opts: TxOptions) {
    this.inTx = opts.assumeInTransaction;
  }

  snapshot(): TxSnapshot {
    return {
      inTransaction: this.inTx,
      explicit: this.explicit,
      serial: this.serial,
      lockTimeoutMs: effective(this.lock, this.opts.baseLockTimeoutMs ?? 0),
      statementTimeoutMs: effective(this.statement, this.opts.baseStatementTimeoutMs ?? 0),
      lockTimeoutMentioned: this.lockMentioned,
    };
  }

  /** Apply the statement's effect on transaction state. Call after rules have seen it. */
  advance(stmt: ParsedStatement): void {
    const n = stmt.node;
    if (stmt.kind === 'TransactionStmt') {
      switch (n.kind) {
        case 'TRANS_STMT_BEGIN':
        case 'TRANS_STMT_START':
          if (!this.inTx) this.serial++;
          this.inTx = true;
          this.explicit = true;
          return;
        case 'TRANS_STMT_COMMIT':
        case 'TRANS_STMT_ROLLBACK':
        case 'TRANS_STMT_PREPARE':
        case 'TRANS_STMT_COMMIT_PREPARED':
        case 'TRANS_STMT_ROLLBACK_PREPARED':
          if (n.chain) {
            this.endTx();
            this.serial++;
            this.inTx = true;
            return;
          }
          this.endTx();
          return;
        default:
          return;
      }
    }
    if (stmt.kind === 'VariableSetStmt') this.applySet(n);
    if (stmt.kind === 'SelectStmt') this.applySetConfig(n);
    if (!this.inTx) this.serial++;
  }

  /** Apply SET / set_config only (a statement run inside a DO block, which has its own transaction handling). */
  applySettings(stmt: ParsedStatement): void {
    if (stmt.kind === 'VariableSetStmt') this.applySet(stmt.node);
    if (stmt.kind === 'SelectStmt') this.applySetConfig(stmt.node);
  }

  private endTx(): void {
    this.inTx = false;
    this.explicit = false;
    this.lock.local = null;
    this.statement.local = null;
    this.serial++;
  }

  private target(name: string): TimeoutSetting | null {
    if (name === 'lock_timeout') return this.lock;
    if (name === 'statement_timeout') return this.statement;
    return null;
  }

  private applySet(n: any): void {
    if (n.kind === 'VAR_RESET_ALL') {
      this.lock.session = this.lock.local = null;
      this.statement.session = this.statement.local = null;
      return;
    }
    const t = this.target(String(n.name ?? ''));
    if (!t) return;
    if (t === this.lock) this.lockMentioned = true;
    let value: number | null;
    if (n.kind === 'VAR_SET_VALUE') value = parseDurationMs(n.args?.[0]);
    else if (n.kind === 'VAR_SET_DEFAULT' || n.kind === 'VAR_RESET') value = 0;
    else return;
    this.assign(t, value ?? 0, Boolean(n.is_local));
  }

  private assign(t: TimeoutSetting, value: number, local: boolean): void {
    if (local) {
      // SET LOCAL outside a transaction block has no effect (PostgreSQL warns).
      if (this.inTx) t.local = value;
    } else {
      t.session = value;
      t.local = null;
    }
  }

  /** SELECT set_config('lock_timeout', '1s', is_local) */
  private applySetConfig(n: any): void {
    for (const rt of n.targetList ?? []) {
      const fc = rt?.ResTarget?.val?.FuncCall;
      if (!fc) continue;
      const fname = (fc.funcname ?? []).map(stringValue).pop();
      if (fname !== 'set_config') continue;
      const [nameArg, valueArg, localArg] = fc.args ?? [];
      const t = this.target(String(constValue(nameArg) ?? ''));
      if (!t) continue;
      if (t === this.lock) this.lockMentioned = true;
      this.assign(t, parseDurationMs(valueArg) ?? 0, constValue(localArg) === true);
    }
  }
}

function effective(t: TimeoutSetting, base: number): number {
  if (t.local !== null) return t.local;
  if (t.session !== null) return t.session;
  return base;
}

/** `'1s'`, `'500ms'`, `1000`, `'2min'` -> milliseconds. Unparseable -> null. */
export function parseDurationMs(arg: unknown): number | null {
  const v = constValue(arg);
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return null;
  return durationToMs(v);
}
