/**
 * The sidebar webview view: its HTML (nonce-based CSP, scripts and styles
 * only from the extension's dist/ and media/), and the message loop between
 * the view and the chat controller. Messages posted while no view exists are
 * dropped; the view asks for the whole state with `ready` when it appears.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { ChatSurface } from './chatController';
import type { FromWebview, ToWebview } from './webview/messages';

export const CHAT_VIEW_ID = 'silcrow.chat';

export class ChatViewProvider implements vscode.WebviewViewProvider, ChatSurface {
  private view: vscode.WebviewView | undefined;
  private onMessage: (message: FromWebview) => void = () => undefined;
  private readonly shownWaiters = new Set<() => void>();

  constructor(private readonly extensionUri: vscode.Uri) {}

  /** Where the view's messages go (set once the controller exists). */
  connect(handler: (message: FromWebview) => void): void {
    this.onMessage = handler;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const roots = [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')];
    view.webview.options = { enableScripts: true, localResourceRoots: roots };
    view.webview.html = this.html(view.webview);
    view.webview.onDidReceiveMessage((message: FromWebview) => this.onMessage(message));
    this.shownWaiters.forEach((resolve) => resolve());
    view.onDidChangeVisibility(() => view.visible && this.shownWaiters.forEach((resolve) => resolve()));
    view.onDidDispose(() => {
      if (this.view === view) {
        this.view = undefined;
      }
    });
  }

  post(message: ToWebview): void {
    void this.view?.webview.postMessage(message);
  }

  isVisible(): boolean {
    return this.view?.visible ?? false;
  }

  /**
   * Whether the view is visible now or becomes visible within `graceMs` (the window may still be
   * restoring it: a message for it then goes in the view, not in a toast).
   */
  async shownWithin(graceMs: number): Promise<boolean> {
    if (this.isVisible()) {
      return true;
    }
    let done: () => void = () => undefined;
    const shown = new Promise<void>((resolve) => (done = resolve));
    this.shownWaiters.add(done);
    const timer = setTimeout(done, graceMs);
    await shown;
    clearTimeout(timer);
    this.shownWaiters.delete(done);
    return this.isVisible();
  }

  /**
   * Show the view. With `focusInput` (the default) the view takes focus and its text area gets it;
   * without, a shown view keeps the focus where it is (a question box, the editor).
   */
  async reveal(focusInput = true): Promise<void> {
    if (!focusInput && this.view) {
      this.view.show(true);
      return;
    }
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    if (focusInput) {
      this.post({ type: 'focusInput' });
    }
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'chat.css'));
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${style.toString()}" rel="stylesheet">
<title>Silcrow</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }
}
