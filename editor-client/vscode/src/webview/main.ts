/**
 * Webview entry: connects the plain-DOM chat to VS Code's webview API
 * (`acquireVsCodeApi`: postMessage, getState/setState) and to the host's
 * messages.
 */
import { ChatView, type SavedState } from './chatView';
import type { FromWebview, ToWebview } from './messages';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): SavedState | undefined;
  setState(state: SavedState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('app');
if (root) {
  const view = new ChatView(root, { post: (m) => vscode.postMessage(m), save: (s) => vscode.setState(s) }, vscode.getState());
  window.addEventListener('message', (event: MessageEvent<ToWebview>) => view.handle(event.data));
  vscode.postMessage({ type: 'ready' });
}
