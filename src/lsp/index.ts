/**
 * `ddlguard lsp`: the language server over stdio. stdout carries the protocol, so anything a
 * module would print goes to the client's log instead; an error nobody caught is logged, not
 * fatal. The process ends when the client sends `exit` or closes stdin.
 */
import { format } from 'node:util';
import { createConnection } from 'vscode-languageserver/node';
import { startServer } from './server.js';

export interface LspArgs {
  stdio?: boolean;
  config?: string;
  /** A URL, or false for --no-db. */
  db?: string | false;
  schema?: string;
  pgVersion?: number;
}

export async function runLsp(args: LspArgs): Promise<number> {
  const connection = createConnection(process.stdin, process.stdout);
  const toLog = (write: (m: string) => void) => (...parts: unknown[]) => write(format(...parts));
  console.log = toLog((m) => connection.console.log(m));
  console.info = toLog((m) => connection.console.info(m));
  console.warn = toLog((m) => connection.console.warn(m));
  console.error = toLog((m) => connection.console.error(m));
  console.debug = toLog((m) => connection.console.log(m));
  process.on('uncaughtException', (e) => connection.console.error(`uncaught: ${e?.stack ?? String(e)}`));
  process.on('unhandledRejection', (e) => connection.console.error(`unhandled rejection: ${(e as Error)?.stack ?? String(e)}`));
  startServer(connection, {
    ...(args.config ? { configPath: args.config } : {}),
    ...(args.db !== undefined ? { db: args.db } : {}),
    ...(args.schema ? { schema: args.schema } : {}),
    ...(args.pgVersion !== undefined ? { pgVersion: args.pgVersion } : {}),
  });
  // The connection ends the process (exit notification, stdin closed).
  return new Promise<number>(() => {});
}
