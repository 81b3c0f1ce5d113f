/**
 * A real LSP client for the tests: spawns `node dist/src/cli/main.js lsp --stdio` and speaks
 * the protocol to it with vscode-languageserver-protocol (vscode-jsonrpc's stream reader and
 * writer), keeping every notification the server sends so tests can wait for them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CodeActionRequest,
  CodeActionResolveRequest,
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidChangeWatchedFilesNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShowMessageNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type CodeAction,
  type FileEvent,
  type Hover,
  type LogMessageParams,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type Range,
  type ShowMessageParams,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { expect } from 'vitest';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');

export interface StartOptions {
  /** Workspace folder (absolute path). */
  root: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Declare codeAction/resolve support (default true). */
  resolve?: boolean;
}

export class TestClient {
  readonly publishes: PublishDiagnosticsParams[] = [];
  readonly messages: ShowMessageParams[] = [];
  readonly logs: LogMessageParams[] = [];
  readonly registrations: string[] = [];
  stderr = '';
  private readonly docs = new Map<string, TextDocument>();
  /** Publishes received before each document was last opened. */
  private readonly opened = new Map<string, number>();
  private readonly waiters: Array<() => void> = [];

  private constructor(
    readonly process: ChildProcess,
    readonly conn: ProtocolConnection,
  ) {}

  static async start(opts: StartOptions): Promise<TestClient> {
    const env = { ...process.env, ...opts.env };
    if (!opts.env || !('DATABASE_URL' in opts.env)) delete env.DATABASE_URL;
    // The server's working directory is not the workspace: the config is found from each document.
    const child = spawn(process.execPath, [CLI, 'lsp', '--stdio', ...(opts.args ?? [])], { cwd: path.dirname(CLI), env, stdio: ['pipe', 'pipe', 'pipe'] });
    const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new TestClient(child, conn);
    child.stderr!.on('data', (d) => (client.stderr += String(d)));
    conn.onNotification(PublishDiagnosticsNotification.type, (p) => client.record(() => client.publishes.push(p)));
    conn.onNotification(ShowMessageNotification.type, (p) => client.record(() => client.messages.push(p)));
    conn.onNotification(LogMessageNotification.type, (p) => client.record(() => client.logs.push(p)));
    conn.onRequest(RegistrationRequest.type, (p) => {
      // No result: vscode-jsonrpc answers null, as the protocol's void result is sent.
      client.registrations.push(...p.registrations.map((r) => r.method));
    });
    conn.listen();
    const root = pathToFileURL(opts.root).href;
    await conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: root,
      workspaceFolders: [{ uri: root, name: path.basename(opts.root) }],
      capabilities: {
        general: { positionEncodings: ['utf-16'] },
        workspace: { workspaceEdit: { documentChanges: true }, didChangeWatchedFiles: { dynamicRegistration: true } },
        textDocument: {
          publishDiagnostics: { versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          codeAction: {
            codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source', 'source.fixAll'] } },
            isPreferredSupport: true,
            dataSupport: true,
            ...(opts.resolve === false ? {} : { resolveSupport: { properties: ['edit'] } }),
          },
        },
      },
    });
    await conn.sendNotification(InitializedNotification.type, {});
    return client;
  }

  private record(push: () => void): void {
    push();
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `pick` returns something, checking after every notification. */
  async until<T>(what: string, pick: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pick();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}\nlogs:\n${this.logs.map((l) => l.message).join('\n')}\nstderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The first diagnostics for `uri` published after the first `after` publishes that satisfy `ok`. */
  diagnostics(uri: string, ok: (p: PublishDiagnosticsParams) => boolean = () => true, after = 0): Promise<PublishDiagnosticsParams> {
    return this.until(`diagnostics for ${uri}`, () => this.publishes.slice(after).find((p) => p.uri === uri && ok(p)));
  }

  /** Diagnostics of this version of the document (published since it was last opened). */
  diagnosticsOf(uri: string, version: number): Promise<PublishDiagnosticsParams> {
    return this.diagnostics(uri, (p) => p.version === version, this.opened.get(uri) ?? 0);
  }

  text(uri: string): string {
    return this.doc(uri).getText();
  }

  doc(uri: string): TextDocument {
    const d = this.docs.get(uri);
    if (!d) throw new Error(`not open: ${uri}`);
    return d;
  }

  async open(file: string, text: string, languageId = 'sql'): Promise<string> {
    const uri = pathToFileURL(file).href;
    this.docs.set(uri, TextDocument.create(uri, languageId, 1, text));
    this.opened.set(uri, this.publishes.length);
    await this.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
    return uri;
  }

  /** Send edits (non-overlapping, all against the current text) as incremental changes; returns the new version. */
  async edit(uri: string, edits: TextEdit[]): Promise<number> {
    const doc = this.doc(uri);
    const version = doc.version + 1;
    const sorted = [...edits].sort((a, b) => doc.offsetAt(b.range.start) - doc.offsetAt(a.range.start));
    const next = TextDocument.create(uri, doc.languageId, version, TextDocument.applyEdits(doc, edits));
    this.docs.set(uri, next);
    // Back to front: each change's range is still valid after the ones before it.
    await this.conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: sorted.map((e) => ({ range: e.range, text: e.newText })),
    });
    return version;
  }

  /** Replace the whole text (one full-content change). */
  async replace(uri: string, text: string): Promise<number> {
    const doc = this.doc(uri);
    const version = doc.version + 1;
    this.docs.set(uri, TextDocument.create(uri, doc.languageId, version, text));
    await this.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
    return version;
  }

  /** Apply a workspace edit to the open document it targets; returns the new version. */
  async apply(edit: WorkspaceEdit): Promise<number> {
    if (edit.documentChanges) {
      const [change] = edit.documentChanges;
      if (!change || !('textDocument' in change)) throw new Error('expected one text document edit');
      expect(change.textDocument.version).toBe(this.doc(change.textDocument.uri).version);
      return this.edit(change.textDocument.uri, change.edits as TextEdit[]);
    }
    const [uri, edits] = Object.entries(edit.changes ?? {})[0]!;
    return this.edit(uri, edits);
  }

  async close(uri: string): Promise<void> {
    this.docs.delete(uri);
    await this.conn.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  codeActions(uri: string, range: Range, only?: string[]): Promise<CodeAction[]> {
    return this.conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range, context: { diagnostics: [], ...(only ? { only } : {}) } }) as Promise<CodeAction[]>;
  }

  resolve(action: CodeAction): Promise<CodeAction> {
    return this.conn.sendRequest(CodeActionResolveRequest.type, action);
  }

  hover(uri: string, line: number, character: number): Promise<Hover | null> {
    return this.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character } });
  }

  async filesChanged(changes: FileEvent[]): Promise<void> {
    await this.conn.sendNotification(DidChangeWatchedFilesNotification.type, { changes });
  }

  /** The text a range covers in the client's copy of the document. */
  slice(uri: string, range: Range): string {
    const d = this.doc(uri);
    return d.getText().slice(d.offsetAt(range.start), d.offsetAt(range.end));
  }

  alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => {
      if (!this.alive()) resolve(this.process.exitCode);
      else this.process.once('exit', (code) => resolve(code));
    });
    try {
      await this.conn.sendRequest(ShutdownRequest.type);
      await this.conn.sendNotification(ExitNotification.type);
    } catch {
      this.process.kill();
    }
    const code = await exited;
    this.conn.dispose();
    return code;
  }
}
