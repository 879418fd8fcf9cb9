/**
 * Extension entry: wires the daemon (language client), the protocol session,
 * the chat controller, the sidebar view, the status bar and the commands.
 * Every disposable goes into `context.subscriptions`.
 *
 * A failed start is one message with its cause: in the chat (which keeps it
 * until the chat is opened) and as a toast only when no chat is visible. The
 * conversation the chat shows is remembered per workspace and reopened from
 * the daemon's history after a window reload. Before each start the daemon the
 * extension brings along is set up or upgraded when it is the one to run
 * (serverSetup.ts); a daemon of another minor version gets one warning. A new
 * daemon command (`silcrow.server.*`) restarts the daemon with it, after asking
 * while a turn runs (or offers a window reload when VS Code has not yet made the
 * new value readable).
 * The chat's review and restore messages go to review.ts and checkpoints.ts.
 */
import * as vscode from 'vscode';
import { MessageType, type LanguageClient, type ShowMessageParams } from 'vscode-languageclient/node';
import { ChatController } from './chatController';
import { restoreTurn } from './checkpoints';
import { EditorContext } from './context';
import { CHAT_VIEW_ID, ChatViewProvider } from './chatViewProvider';
import { createClient, DaemonProcess, pushUserSettings, saveDocuments } from './daemon';
import { daemonEnvironment, setApiKey, welcomeState } from './keys';
import { showDoctor } from './doctor';
import { showMcpServers } from './mcpServers';
import type { PermissionOptionId, PermissionRequest } from './protocol/contract';
import { SilcrowSession } from './protocol/session';
import { versionMismatch } from './protocol/serverInstall';
import { startFailureMessage } from './protocol/settings';
import { selectionCommands } from './selection';
import { ReviewController } from './review';
import { ManagedServer, SetupError } from './serverSetup';
import { SilcrowStatus } from './statusBar';
import type { FromWebview, NoticeAction } from './webview/messages';
import { isReviewMessage } from './webview/reviewMessages';

/** `workspaceState` key of the conversation the chat shows. */
const CONVERSATION_KEY = 'silcrow.conversationId';
/** How long a message waits for the chat to come into view (a window being restored) before it becomes a toast. */
const TOAST_GRACE_MS = 10_000;
/** The Settings editor filtered to this extension's settings. */
const SETTINGS_QUERY = '@ext:silcrow.silcrow';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Silcrow');
  let controller: ChatController | undefined;
  const view = new ChatViewProvider(context.extensionUri);
  const status = new SilcrowStatus(`${CHAT_VIEW_ID}.focus`);
  context.subscriptions.push(
    output,
    status,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, view, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.commands.registerCommand('silcrow.showLog', () => output.show(true)),
    vscode.commands.registerCommand('silcrow.openSettings', openSettings),
  );

  let daemon: DaemonProcess | undefined;
  const managed = new ManagedServer(context, output);
  try {
    client = createClient(
      output,
      selectionCommands(() => controller, (focusInput) => view.reveal(focusInput)),
      () => daemonEnvironment(context.secrets),
      (process) => (daemon = process),
      () => managed.command(),
    );
  } catch (error) {
    // a malformed daemon command: nothing started, so a corrected one needs a fresh activation
    status.show({ state: 'stopped', message: (error as Error).message });
    void toast((error as Error).message, ['openSettings']);
    context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((change) => {
      if (change.affectsConfiguration('silcrow.server')) {
        void offerReload();
      }
    }));
    return;
  }
  const running = client;
  const session = new SilcrowSession(running);
  session.setSaveHandler(saveDocuments);
  const chat = new ChatController(session, view, {
    chunks: () => undefined,
    askElsewhere,
    onState: (state) => status.show(state),
    onConversation: (id) => void context.workspaceState.update(CONVERSATION_KEY, id),
    // a chat still being restored with the window counts as visible
    toast: (text, actions) => void view.shownWithin(TOAST_GRACE_MS).then((shown) => (shown ? undefined : toast(text, actions))),
    welcome: () => welcomeState(context.secrets),
    copy: (text) => Promise.resolve(vscode.env.clipboard.writeText(text)),
    insert: insertAtCursor,
    setKey: async (provider) => {
      if (await setApiKey(context.secrets, provider)) {
        await restart();
        await chat.refreshWelcome();
      }
    },
    action: runNoticeAction,
  });
  controller = chat;
  const editorContext = new EditorContext(session, view, async (text, items, choice) => {
    await view.reveal(false);
    return chat.send(text, items, choice);
  });
  context.subscriptions.push(editorContext);
  const review = new ReviewController(running, (message) => view.post(message));
  session.onEvent((event) => review.onEvent(event));
  view.connect((message: FromWebview) => {
    if (editorContext.handle(message)) {
      return;
    }
    if (message.type === 'restore') {
      void restoreTurn(running, chat.currentConversation, message.turnId, {
        info: (text) => chat.daemonMessage(text, false),
        error: (text) => chat.notice(text),
      });
    } else if (isReviewMessage(message)) {
      void review.handle(message);
    } else {
      void chat.handle(message);
      if (message.type === 'ready') {
        review.refresh();
      }
    }
  });
  // the daemon's own messages go where the user is looking (not vscode-languageclient's toasts)
  running.onNotification('window/showMessage', (params: ShowMessageParams) =>
    chat.daemonMessage(params.message, params.type === MessageType.Error || params.type === MessageType.Warning));

  /** The daemon command of the last start, to tell a real change of `silcrow.server` from a repeated one. */
  let startedWith: string | undefined;
  const start = async (): Promise<boolean> => {
    status.show({ state: 'starting' });
    startedWith = commandKey(managed);
    try {
      await managed.prepare();
      await running.start();
      // A settings change while the daemon was starting found no client to tell; tell it now.
      await pushUserSettings(running);
      void editorContext.listModels();
      status.show({ state: 'idle' });
      const mismatch = versionMismatch(extensionVersion(context), running.initializeResult?.serverInfo?.version);
      if (mismatch) {
        output.appendLine(mismatch);
        chat.notice(mismatch, ['showLog']);
      }
      return true;
    } catch (error) {
      const message = error instanceof SetupError ? `Silcrow: ${error.message}` : startFailureMessage(managed.command(), error, daemon);
      status.show({ state: 'stopped', message });
      chat.notice(message, ['openSettings', 'showLog']);
      return false;
    }
  };
  const restart = async (): Promise<void> => {
    await stopClient(running);
    await start();
  };
  /**
   * A new daemon command applies at once: the daemon restarts with it, or, while a turn runs, the
   * user is asked first. These settings are machine-scoped, and in a remote window (code-server,
   * SSH) VS Code may report the change before the extension can read the new value, and may
   * start the extension after a reload with a cached older value and send the saved one a moment
   * later. So a change whose value cannot be read yet offers the window reload, and the late
   * value after a reload restarts the daemon like any other change.
   */
  const serverSettingsChanged = async (): Promise<void> => {
    const next = commandKey(managed);
    output.appendLine(`[settings] silcrow.server changed: ${next} (the daemon runs ${startedWith ?? 'nothing'})`);
    if (next === startedWith) {
      await offerReload();
      return;
    }
    if (chat.busy) {
      const choice = await vscode.window.showInformationMessage(
        'Silcrow: the daemon command changed. Restart the daemon with it now? The running turn stops.', 'Restart');
      if (choice !== 'Restart') {
        return;
      }
    }
    output.appendLine('[settings] restarting the daemon with the new command');
    await restart();
  };
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((change) => {
      if (change.affectsConfiguration('silcrow.server')) {
        void serverSettingsChanged();
      } else if (change.affectsConfiguration('silcrow')) {
        void pushUserSettings(running);
        void chat.refreshWelcome();
      }
    }),
    session,
    review,
    { dispose: () => void stopClient(running) },
    vscode.commands.registerCommand('silcrow.newConversation', () => chat.newConversation()),
    vscode.commands.registerCommand('silcrow.stop', () => chat.stop()),
    vscode.commands.registerCommand('silcrow.showHistory', async () => {
      await view.reveal();
      await chat.listConversations();
    }),
    vscode.commands.registerCommand('silcrow.restart', restart),
    vscode.commands.registerCommand('silcrow.mcpServers', () => showMcpServers(running)),
    vscode.commands.registerCommand('silcrow.doctor', () => showDoctor(running)),
    vscode.commands.registerCommand('silcrow.reinstallServer', async () => {
      await stopClient(running);
      try {
        await managed.reinstall();
      } catch (error) {
        chat.notice(`Silcrow: ${(error as Error).message}`, ['showLog']);
        return;
      }
      await start();
    }),
    vscode.commands.registerCommand('silcrow.setApiKey', async () => {
      if (await setApiKey(context.secrets)) {
        await restart();
      }
    }),
  );

  if (await start()) {
    const previous = context.workspaceState.get<string>(CONVERSATION_KEY);
    if (previous) {
      await chat.restore(previous);
    }
  }
}

export async function deactivate(): Promise<void> {
  if (client) {
    await stopClient(client);
  }
}

/** Stop the client if it runs or starts; a client whose start failed has nothing to stop (and must not reject). */
async function stopClient(running: LanguageClient): Promise<void> {
  if (running.needsStop()) {
    await running.stop().catch(() => undefined);
  }
}

function extensionVersion(context: vscode.ExtensionContext): string {
  return (context.extension.packageJSON as { version: string }).version;
}

async function toast(message: string, actions: NoticeAction[]): Promise<void> {
  const labels: Record<NoticeAction, string> = { openSettings: 'Open Settings', showLog: 'Show Log' };
  const choice = await vscode.window.showErrorMessage(message, ...actions.map((action) => labels[action]));
  const action = actions.find((candidate) => labels[candidate] === choice);
  if (action) {
    await runNoticeAction(action);
  }
}

async function runNoticeAction(action: NoticeAction): Promise<void> {
  await vscode.commands.executeCommand(action === 'openSettings' ? 'silcrow.openSettings' : 'silcrow.showLog');
}

async function openSettings(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openSettings', SETTINGS_QUERY);
}

/** Insert `text` at the cursor of the active (else the last visible) text editor. */
async function insertAtCursor(text: string): Promise<void> {
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor) {
    void vscode.window.showWarningMessage('Silcrow: open a file to insert the code into.');
    return;
  }
  await editor.edit((edit) => editor.selections.forEach((selection) => edit.replace(selection, text)));
  await vscode.window.showTextDocument(editor.document, editor.viewColumn);
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

/** What identifies the daemon a start would run (its command, or the setting error that stops it). */
function commandKey(managed: ManagedServer): string {
  try {
    return JSON.stringify(managed.command());
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}
