// A minimal VS Code client for `ddlguard lsp`: it starts the server over stdio for SQL
// files; diagnostics, quick fixes, hovers and the ddlguard.reloadSchema command all come
// from the server (vscode-languageclient wires them up).
const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

/** @type {LanguageClient | undefined} */
let client;

/** `ddlguard.path`, else the workspace's node_modules/ddlguard, else `ddlguard` on PATH. */
function serverOptions(config) {
  const args = ['lsp', ...config.get('args', [])];
  const node = config.get('node', 'node');
  const configured = config.get('path');
  if (configured && configured.endsWith('.js')) return { module: configured, runtime: node, transport: TransportKind.stdio, args };
  if (configured) return { command: configured, args: [...args, '--stdio'], options: { shell: process.platform === 'win32' } };
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const main = path.join(folder.uri.fsPath, 'node_modules', 'ddlguard', 'dist', 'src', 'cli', 'main.js');
    // The client appends --stdio (and --clientProcessId) for a module.
    if (fs.existsSync(main)) return { module: main, runtime: node, transport: TransportKind.stdio, args };
  }
  return { command: 'ddlguard', args: [...args, '--stdio'], options: { shell: process.platform === 'win32' } };
}

async function activate() {
  const config = vscode.workspace.getConfiguration('ddlguard');
  client = new LanguageClient('ddlguard', 'ddlguard', serverOptions(config), {
    documentSelector: [
      { scheme: 'file', language: 'sql' },
      { scheme: 'untitled', language: 'sql' },
    ],
  });
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
