// The chat webview (dist/webview.js + media/chat.css) on a page of headless
// Chromium, without VS Code: a stub `acquireVsCodeApi` records what the view
// posts to the host (`posted()`) and saves (`window.__state`).
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

const EXT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

// A dark theme's worth of the CSS variables VS Code gives a webview.
const THEME = `body { background: #1e1e1e; --vscode-foreground: #cccccc; --vscode-font-family: sans-serif; --vscode-font-size: 13px;
  --vscode-editor-font-family: monospace; --vscode-input-background: #3c3c3c; --vscode-input-foreground: #cccccc;
  --vscode-button-background: #0e639c; --vscode-button-foreground: #ffffff; --vscode-button-secondaryBackground: #3a3d41;
  --vscode-button-secondaryForeground: #cccccc; --vscode-textCodeBlock-background: #0a0a0a; --vscode-errorForeground: #f48771;
  --vscode-panel-border: #444444; }`;

const STUB = `window.__posted = []; window.__state = undefined;
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.__posted.push(m),
    getState: () => window.__state,
    setState: (s) => { window.__state = s; },
  });`;

/** Launch Chromium with the chat loaded; `send` delivers host messages, `posted` reads what the view sent. */
export async function openChat() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 420, height: 900 } });
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));
  await page.setContent('<!DOCTYPE html><html><head></head><body><div id="app"></div></body></html>');
  await page.addStyleTag({ content: THEME });
  await page.addStyleTag({ path: join(EXT, 'media', 'chat.css') });
  await page.addScriptTag({ content: STUB });
  await page.addScriptTag({ path: join(EXT, 'dist', 'webview.js') });
  await page.waitForSelector('textarea.input');
  assert.deepEqual(errors, []);
  return {
    browser,
    page,
    // Resolves once the view has handled the messages: window messages arrive in order, so a
    // marker posted after them arrives after the view's handler has run for each.
    send: (messages) => page.evaluate((list) => new Promise((resolve) => {
      const marker = { type: 'test-flushed', id: Math.random() };
      const seen = (event) => {
        if (event.data?.id === marker.id) {
          window.removeEventListener('message', seen);
          resolve();
        }
      };
      window.addEventListener('message', seen);
      list.forEach((m) => window.postMessage(m, '*'));
      window.postMessage(marker, '*');
    }), messages),
    posted: () => page.evaluate(() => window.__posted),
  };
}

/** `openChat()` before the file's tests and closing it after; the fields fill in when the tests start. */
export function useChat() {
  const chat = {};
  before(async () => Object.assign(chat, await openChat()));
  after(() => chat.browser?.close());
  return chat;
}
