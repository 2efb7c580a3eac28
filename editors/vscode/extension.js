// Starts `marpkit lsp` for Markdown decks and the snippet files they show.
// Everything else (diagnostics, fixes, hover, definition, completion) is the server's.
const fs = require('fs');
const path = require('path');
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function marpkitCommand() {
  const configured = vscode.workspace.getConfiguration('marpkit').get('server.path');
  if (configured) return configured;
  for (const folder of vscode.workspace.workspaceFolders || []) {
    const local = path.join(folder.uri.fsPath, '.venv', 'bin', 'marpkit');
    if (fs.existsSync(local)) return local;
  }
  return 'marpkit';
}

async function activate(context) {
  const command = marpkitCommand();
  client = new LanguageClient(
    'marpkit',
    'marpkit',
    { command, args: ['lsp'] },
    {
      documentSelector: [
        { scheme: 'file', language: 'markdown' },
        { scheme: 'file', pattern: '**/snippets/**' },
      ],
    },
  );
  context.subscriptions.push(client);
  await client.start();
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
