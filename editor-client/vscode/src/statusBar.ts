/**
 * The status-bar item: idle / working / error, and the last turn's token
 * usage (summed from its `metric` events). Clicking it opens the chat.
 */
import * as vscode from 'vscode';
import type { TurnState } from './chatController';
import { formatUsage } from './protocol/transcript';

export class SilcrowStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('silcrow.status', vscode.StatusBarAlignment.Right, 100);

  constructor(focusCommand: string) {
    this.item.name = 'Silcrow';
    this.item.command = focusCommand;
    this.show({ state: 'idle' });
    this.item.show();
  }

  show(state: TurnState | { state: 'starting' } | { state: 'stopped'; message: string }): void {
    switch (state.state) {
      case 'starting':
        this.set('$(loading~spin) Silcrow', 'Starting the Silcrow daemon…');
        break;
      case 'working':
        this.set('$(sync~spin) Silcrow: working', 'Silcrow is working (Silcrow: Stop the Running Turn to stop it)');
        break;
      case 'idle': {
        const usage = formatUsage(state.usage);
        this.set(usage ? `$(comment-discussion) Silcrow: ${usage}` : '$(comment-discussion) Silcrow', usage ? `Last turn: ${usage} tokens` : 'Silcrow is idle');
        break;
      }
      case 'error':
      case 'stopped':
        this.set('$(error) Silcrow: error', state.message, new vscode.ThemeColor('statusBarItem.errorBackground'));
        break;
    }
    void vscode.commands.executeCommand('setContext', 'silcrow.busy', state.state === 'working');
  }

  dispose(): void {
    this.item.dispose();
  }

  private set(text: string, tooltip: string, background?: vscode.ThemeColor): void {
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = background;
  }
}
