/**
 * API keys for the daemon, kept in VS Code's SecretStorage (never in a
 * settings file): the "Silcrow: Set API Key" flow, the environment the daemon
 * is started with, and whether the empty chat is a first run.
 *
 * Algorithm:
 * 1. A key is stored per vendor (`silcrow.apiKey.<vendor>`); the daemon gets
 *    it in its environment under the vendor's variable (OPENAI_API_KEY, …),
 *    or under `silcrow.apiKeyEnv` when the user set one for that provider.
 * 2. Storing a key also sets `silcrow.provider` (user settings) to its vendor,
 *    so the next turn uses it; the caller restarts the daemon.
 * 3. A first run is `silcrow.provider` left at `auto` with no key stored and
 *    none in the environment: the daemon then answers with its offline demo.
 */
import * as vscode from 'vscode';
import type { KeyProvider, Welcome } from './webview/messages';

export const KEY_VARIABLES: Record<KeyProvider, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  gemini: 'GEMINI_API_KEY',
};

const LABELS: Record<KeyProvider, string> = { openai: 'OpenAI', anthropic: 'Anthropic', gemini: 'Gemini' };
const VENDORS = Object.keys(KEY_VARIABLES) as KeyProvider[];
const ENV_KEYS = [...Object.values(KEY_VARIABLES), 'GOOGLE_API_KEY'];

function secretName(provider: KeyProvider): string {
  return `silcrow.apiKey.${provider}`;
}

function userSetting(key: string): unknown {
  return vscode.workspace.getConfiguration('silcrow').inspect(key)?.globalValue;
}

/** The daemon's environment: this process's, plus the stored keys. */
export async function daemonEnvironment(secrets: vscode.SecretStorage): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const provider = userSetting('provider');
  const keyEnv = userSetting('apiKeyEnv');
  for (const vendor of VENDORS) {
    const key = await secrets.get(secretName(vendor));
    if (key) {
      env[KEY_VARIABLES[vendor]] = key;
      if (provider === vendor && typeof keyEnv === 'string' && keyEnv) {
        env[keyEnv] = key;
      }
    }
  }
  return env;
}

/** Whether questions get the offline demo (nothing configured), and the provider in use. */
export async function welcomeState(secrets: vscode.SecretStorage): Promise<Welcome> {
  const provider = typeof userSetting('provider') === 'string' ? String(userSetting('provider')) : 'auto';
  if (provider !== 'auto') {
    return { demo: false, provider };
  }
  const stored = await Promise.all(VENDORS.map(async (vendor) => Boolean(await secrets.get(secretName(vendor)))));
  const found = stored.some(Boolean) || ENV_KEYS.some((name) => Boolean(process.env[name]));
  return { demo: !found, provider };
}

/** Ask for a vendor (unless given) and its key; store it and select the vendor. Resolves true when a key was stored. */
export async function setApiKey(secrets: vscode.SecretStorage, provider?: KeyProvider): Promise<boolean> {
  const vendor = provider ?? (await vscode.window.showQuickPick(
    VENDORS.map((id) => ({ label: LABELS[id], description: KEY_VARIABLES[id], id })),
    { title: 'Silcrow: which provider is the key for?' },
  ))?.id;
  if (!vendor) {
    return false;
  }
  const key = await vscode.window.showInputBox({
    title: `Silcrow: ${LABELS[vendor]} API key`,
    prompt: `Stored in VS Code's secret storage and given to the daemon as ${KEY_VARIABLES[vendor]}; never written to a settings file.`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : 'Paste the key, or press Escape to cancel.'),
  });
  if (!key?.trim()) {
    return false;
  }
  await secrets.store(secretName(vendor), key.trim());
  await vscode.workspace.getConfiguration('silcrow').update('provider', vendor, vscode.ConfigurationTarget.Global);
  return true;
}
