/**
 * Extension entry: wires the daemon (language client), the protocol session,
 * the chat controller, the sidebar view, the status bar and the commands.
 * Every disposable goes into `context.subscriptions`.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ChatController } from './chatController';
import { CHAT_VIEW_ID, ChatViewProvider } from './chatViewProvider';
import { createClient, pushUserSettings, readServerCommand, saveDocuments } from './daemon';
import { showMcpServers } from './mcpServers';
import type { PermissionOptionId, PermissionRequest } from './protocol/contract';
import { SilcrowSession } from './protocol/session';
import { startFailureMessage } from './protocol/settings';
import { selectionCommands } from './selection';
import { SilcrowStatus } from './statusBar';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Silcrow');
  const view = new ChatViewProvider(context.extensionUri);
  const status = new SilcrowStatus(`${CHAT_VIEW_ID}.focus`);
  context.subscriptions.push(
    output,
    status,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, view, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.commands.registerCommand('silcrow.showLog', () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((change) => {
      if (change.affectsConfiguration('silcrow.server')) {
        void offerReload();
      } else if (change.affectsConfiguration('silcrow') && client) {
        void pushUserSettings(client);
      }
    }),
  );

  let controller: ChatController | undefined;
  try {
    client = createClient(output, selectionCommands(() => controller, () => view.reveal()));
  } catch (error) {
    return reportStartFailure(String((error as Error).message), status);
  }
  const session = new SilcrowSession(client);
  session.setSaveHandler(saveDocuments);
  const chat = new ChatController(session, view, {
    chunks: () => undefined,
    askElsewhere,
    onState: (state) => status.show(state),
  });
  controller = chat;
  view.connect((message) => void chat.handle(message));
  const running = client;
  context.subscriptions.push(
    session,
    { dispose: () => void running.stop() },
    vscode.commands.registerCommand('silcrow.newConversation', () => chat.newConversation()),
    vscode.commands.registerCommand('silcrow.stop', () => chat.stop()),
    vscode.commands.registerCommand('silcrow.showHistory', async () => {
      await view.reveal();
      await chat.listConversations();
    }),
    vscode.commands.registerCommand('silcrow.restart', () => running.restart()),
    vscode.commands.registerCommand('silcrow.mcpServers', () => showMcpServers(running)),
  );

  status.show({ state: 'starting' });
  try {
    await running.start();
    status.show({ state: 'idle' });
  } catch (error) {
    reportStartFailure(startFailureMessage(readServerCommand(), error), status);
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

function reportStartFailure(message: string, status: SilcrowStatus): void {
  status.show({ state: 'stopped', message });
  void vscode.window.showErrorMessage(message, 'Open Settings', 'Show Log').then((choice) => {
    if (choice === 'Open Settings') {
      void vscode.commands.executeCommand('workbench.action.openSettings', 'silcrow.server');
    } else if (choice === 'Show Log') {
      void vscode.commands.executeCommand('silcrow.showLog');
    }
  });
}

/** A modal question with the summary as its detail: a notification would cut it at 1,000 characters. */
async function askElsewhere(request: PermissionRequest): Promise<PermissionOptionId | undefined> {
  const names = request.options.map((option) => option.name);
  const chosen = await vscode.window.showWarningMessage(
    `Silcrow wants to use ${request.tool}`, { modal: true, detail: request.summary }, ...names,
  );
  return request.options.find((option) => option.name === chosen)?.optionId;
}

async function offerReload(): Promise<void> {
  const choice = await vscode.window.showInformationMessage('Silcrow: reload the window to start the daemon with the new command.', 'Reload Window');
  if (choice) {
    await vscode.commands.executeCommand('workbench.action.reloadWindow');
  }
}
