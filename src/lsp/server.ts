/**
 * The server wiring: document sync, the lint queue, diagnostics, code actions, hover, file
 * events and commands, over a connection made elsewhere (stdio in index.ts). Every failure
 * becomes a log line and, once per distinct message, a window message; the server keeps
 * running.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
  CodeActionKind,
  DidChangeWatchedFilesNotification,
  MessageType,
  ShowMessageNotification,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type Connection,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ConfigError } from '../config/index.js';
import { codeActions, fixAllEdit, FIX_ALL_KIND, type ActionData } from './code-actions.js';
import { documentDiagnostics } from './diagnostics.js';
import { hoverAt } from './hover.js';
import { lintDocument, type DocLint } from './lint-bridge.js';
import { Projects, type Reporter, type ServerOptions } from './project.js';
import { LintQueue } from './scheduler.js';

export const RELOAD_SCHEMA_COMMAND = 'ddlguard.reloadSchema';
/** Quiet time after the last edit before a document is linted again. */
export const DEFAULT_DEBOUNCE_MS = 250;

const SQL_LANGUAGES = new Set(['sql', 'pgsql', 'postgres', 'postgresql', 'plpgsql']);

interface DocState {
  /** The version the open event carried (its content change is the open, linted at once). */
  openedVersion: number;
  lint: DocLint | null;
  /** History files of the last run: a change to one of them re-lints this document. */
  historyPaths: Set<string>;
}

export interface ServerSettings extends ServerOptions {
  debounceMs?: number;
}

export function startServer(connection: Connection, settings: ServerSettings): void {
  const debounceMs = settings.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const documents = new TextDocuments(TextDocument);
  const states = new Map<string, DocState>();
  const byPath = new Map<string, string>();
  const shown = new Map<string, string>();
  let lazyActions = false;
  let documentChanges = false;
  let watchFiles = false;

  const reporter: Reporter = {
    log(level, message) {
      if (level === 'error') connection.console.error(message);
      else if (level === 'warn') connection.console.warn(message);
      else connection.console.info(message);
    },
    show(level, key, message) {
      if (message === null) {
        shown.delete(key);
        return;
      }
      if (shown.get(key) === message) return;
      shown.set(key, message);
      // A notification: nothing to answer (showMessageRequest would wait for a button).
      void connection.sendNotification(ShowMessageNotification.type, { type: level === 'error' ? MessageType.Error : MessageType.Warning, message });
    },
  };
  const projects = new Projects(settings, reporter, (file) => {
    const uri = byPath.get(file);
    return uri ? documents.get(uri)?.getText() : undefined;
  });

  projects.onSchemaLoaded = () => relintDependents(null);

  const filePath = (uri: string): string | null => {
    if (!uri.startsWith('file:')) return null;
    try {
      return fileURLToPath(uri);
    } catch {
      return null;
    }
  };
  const isSql = (doc: TextDocument) => SQL_LANGUAGES.has(doc.languageId) || /\.sql$/i.test(doc.uri);

  const queue = new LintQueue(
    async (uri) => {
      const doc = documents.get(uri);
      const state = states.get(uri);
      if (!doc || !state) return;
      const file = filePath(uri);
      let lint: DocLint;
      try {
        lint = await lintDocument(projects, doc, file, reporter);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        reporter.log('error', `config: ${e.message}`);
        reporter.show('error', 'config', `ddlguard: the configuration cannot be used, ${path.basename(e.file ?? 'ddlguard.config')} not applied: ${e.message}`);
        state.lint = null;
        if (documents.get(uri) === doc) void connection.sendDiagnostics({ uri, version: doc.version, diagnostics: [] });
        return;
      }
      reporter.show('error', 'config', null);
      // Closed, or edited while it ran: that edit scheduled the next run.
      if (documents.get(uri)?.version !== lint.version || states.get(uri) !== state) return;
      state.lint = lint;
      state.historyPaths = new Set(lint.run.historyPaths);
      await connection.sendDiagnostics({ uri, version: lint.version, diagnostics: documentDiagnostics(lint) });
    },
    (uri, e) => {
      const err = e as Error;
      reporter.log('error', `internal error linting ${uri}: ${err?.stack ?? String(e)}`);
      reporter.show('error', 'internal', `ddlguard: internal error while linting: ${err?.message ?? String(e)}`);
    },
  );

  /** The lint of the document's current version, running it now if the last one is older. */
  const current = async (uri: string): Promise<DocLint | null> => {
    const doc = documents.get(uri);
    const state = states.get(uri);
    if (!doc || !state) return null;
    if (state.lint?.version !== doc.version) await queue.now(uri);
    const lint = states.get(uri)?.lint ?? null;
    return lint && lint.version === documents.get(uri)?.version ? lint : null;
  };

  /** Re-lint open documents that have `file` among their history files (or all of them). */
  const relintDependents = (file: string | null, except?: string) => {
    for (const [uri, s] of states) if (uri !== except && (file === null || s.historyPaths.has(file))) queue.schedule(uri, debounceMs);
  };

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    projects.folders = folders.map(filePath).filter((p): p is string => p !== null);
    const caps = params.capabilities;
    lazyActions = caps.textDocument?.codeAction?.resolveSupport?.properties.includes('edit') ?? false;
    documentChanges = caps.workspace?.workspaceEdit?.documentChanges ?? false;
    watchFiles = caps.workspace?.didChangeWatchedFiles?.dynamicRegistration ?? false;
    return {
      capabilities: {
        positionEncoding: 'utf-16',
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: true },
        hoverProvider: true,
        executeCommandProvider: { commands: [RELOAD_SCHEMA_COMMAND] },
      },
      serverInfo: { name: 'ddlguard' },
    };
  });

  connection.onInitialized(() => {
    if (!watchFiles) return;
    void connection.client
      .register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: '**/*.sql' }, { globPattern: '**/ddlguard.config.{json,yaml,yml}' }, { globPattern: '**/package.json' }],
      })
      .catch((e: Error) => reporter.log('warn', `cannot watch files: ${e.message}`));
  });

  documents.onDidOpen((e) => {
    if (!isSql(e.document)) return;
    states.set(e.document.uri, { openedVersion: e.document.version, lint: null, historyPaths: new Set() });
    const file = filePath(e.document.uri);
    if (file) byPath.set(file, e.document.uri);
    queue.schedule(e.document.uri, 0);
    // Its buffer now stands in for the disk's text in the runs of later migrations.
    if (file) relintDependents(file, e.document.uri);
  });

  documents.onDidChangeContent((e) => {
    const state = states.get(e.document.uri);
    if (!state || state.openedVersion === e.document.version) return;
    queue.schedule(e.document.uri, debounceMs);
    const file = filePath(e.document.uri);
    if (file) relintDependents(file, e.document.uri);
  });

  documents.onDidSave((e) => {
    if (!states.has(e.document.uri)) return;
    // A new migration saved for the first time joins the migrations.
    projects.filesChanged();
  });

  documents.onDidClose((e) => {
    const uri = e.document.uri;
    queue.cancel(uri);
    if (!states.delete(uri)) return;
    const file = filePath(uri);
    if (file && byPath.get(file) === uri) byPath.delete(file);
    void connection.sendDiagnostics({ uri, diagnostics: [] });
    // The disk's text stands in for the buffer again.
    if (file) relintDependents(file);
  });

  connection.onDidChangeWatchedFiles(() => {
    projects.filesChanged();
    relintDependents(null);
  });

  connection.onExecuteCommand((params) => {
    if (params.command !== RELOAD_SCHEMA_COMMAND) return;
    projects.reloadSchema();
    relintDependents(null);
  });

  connection.onCodeAction(async (params) => {
    try {
      const lint = await current(params.textDocument.uri);
      if (!lint) return [];
      return codeActions(lint, params.range, { ...(params.context.only ? { only: params.context.only } : {}), lazy: lazyActions, documentChanges });
    } catch (e) {
      reporter.log('error', `code actions: ${(e as Error).stack ?? String(e)}`);
      return [];
    }
  });

  connection.onCodeActionResolve(async (action: CodeAction) => {
    const data = action.data as ActionData | undefined;
    if (data?.kind !== 'fix-all') return action;
    try {
      const lint = await current(data.uri);
      if (!lint || lint.version !== data.version) return action;
      const edit = fixAllEdit(lint, { documentChanges });
      if (edit) action.edit = edit;
    } catch (e) {
      reporter.log('error', `fix all: ${(e as Error).stack ?? String(e)}`);
    }
    return action;
  });

  connection.onHover(async (params) => {
    try {
      const lint = await current(params.textDocument.uri);
      return lint ? hoverAt(lint.statements, lint.linted, params.position) : null;
    } catch (e) {
      reporter.log('error', `hover: ${(e as Error).stack ?? String(e)}`);
      return null;
    }
  });

  documents.listen(connection);
  connection.listen();
}
