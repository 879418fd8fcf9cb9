/**
 * The "Silcrow: MCP Servers" command: list each workspace folder's MCP servers
 * with their state and tool count, and approve a server that a workspace's
 * `.mcp.json` / `.vscode/mcp.json` defines (it never starts before that).
 *
 * Algorithm:
 * 1. `silcrow/mcpServers` -> a quick pick, one item per server
 *    (`serverItem`: name, state, tool count; the command and why it failed).
 * 2. Picking a server that needs approval asks a modal question showing the
 *    exact command and the file that defines it; "Approve and Start" sends
 *    `silcrow/mcpApprove` (the daemon stores the approval in user scope).
 *    Picking any other server shows its tools.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { Method, type McpServerInfo, type McpServersResult } from './protocol/contract';

const STATE_ICON: Record<McpServerInfo['state'], string> = {
  running: '$(pass)',
  starting: '$(loading~spin)',
  restarting: '$(sync~spin)',
  failed: '$(error)',
  needs_approval: '$(shield)',
  stopped: '$(circle-slash)',
};

/** The quick-pick item of one server (pure). */
export function serverItem(server: McpServerInfo): vscode.QuickPickItem & { server: McpServerInfo } {
  const state = server.state === 'needs_approval' ? 'needs your approval' : server.state;
  const where = server.origin === 'workspace' ? ` (${server.source})` : '';
  return {
    label: `${STATE_ICON[server.state]} ${server.name}`,
    description: `${state}, ${server.toolCount} tools${where}`,
    detail: server.detail ? `${server.command} - ${server.detail}` : server.command,
    server,
  };
}

export async function showMcpServers(client: LanguageClient): Promise<void> {
  const { servers } = await client.sendRequest<McpServersResult>(Method.mcpServers, {});
  if (servers.length === 0) {
    void vscode.window.showInformationMessage(
      'Silcrow: no MCP servers. Add them in the setting silcrow.mcpServers, or in the workspace\'s .mcp.json.',
    );
    return;
  }
  const picked = await vscode.window.showQuickPick(servers.map(serverItem), { title: 'Silcrow: MCP Servers' });
  if (!picked) {
    return;
  }
  const server = picked.server;
  if (server.state !== 'needs_approval') {
    const tools = server.tools.length ? server.tools.join(', ') : '(none listed)';
    void vscode.window.showInformationMessage(`MCP server ${server.name}: ${tools}`);
    return;
  }
  const approve = 'Approve and Start';
  const choice = await vscode.window.showWarningMessage(
    `Start the MCP server "${server.name}" that ${server.source} defines?`,
    { modal: true, detail: `It runs: ${server.command}\nApprove it only if you trust this repository.` },
    approve,
  );
  if (choice === approve) {
    await client.sendRequest<McpServersResult>(Method.mcpApprove, {
      name: server.name,
      workspaceUri: server.workspaceUri,
    });
  }
}
