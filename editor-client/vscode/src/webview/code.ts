/**
 * Code blocks in the model's answers: syntax colours from highlight.js
 * (bundled into the webview, its common languages; colours come from the VS
 * Code theme in chat.css) and a bar with Copy and Insert at cursor on each
 * block. The buttons carry no handler: the chat view handles their clicks
 * (`codeAction`), so re-rendering a streaming answer costs no listeners.
 */
import hljs from 'highlight.js/lib/common';

export type CodeAction = 'copy' | 'insert';

/** Highlight every `pre > code` under `root` and give each block its buttons. */
export function decorateCodeBlocks(root: HTMLElement): void {
  root.querySelectorAll<HTMLElement>('pre > code').forEach((code) => {
    const language = /\blanguage-([\w+-]+)/.exec(code.className)?.[1];
    if (!language || hljs.getLanguage(language)) {
      code.innerHTML = (language
        ? hljs.highlight(code.textContent ?? '', { language, ignoreIllegals: true })
        : hljs.highlightAuto(code.textContent ?? '')).value;
      code.classList.add('hljs');
    }
    const pre = code.parentElement as HTMLElement;
    const bar = div('code-actions');
    bar.append(
      button('code-copy', 'Copy', 'Copy the code'),
      button('code-insert', 'Insert at cursor', 'Insert the code at the cursor of the active editor'),
    );
    const block = div('code-block');
    pre.replaceWith(block);
    block.append(bar, pre);
  });
}

function div(className: string): HTMLDivElement {
  const node = document.createElement('div');
  node.className = className;
  return node;
}

function button(className: string, text: string, title: string): HTMLButtonElement {
  const node = document.createElement('button');
  node.className = className;
  node.textContent = text;
  node.title = title;
  return node;
}

/** The action and code of a click on a code block's button, if it was one. */
export function codeActionOf(target: EventTarget | null): { action: CodeAction; text: string } | undefined {
  if (!(target instanceof HTMLElement)) {
    return undefined;
  }
  const button = target.closest('button.code-copy, button.code-insert');
  const code = button?.closest('.code-block')?.querySelector('pre > code');
  if (!button || !code) {
    return undefined;
  }
  return { action: button.classList.contains('code-copy') ? 'copy' : 'insert', text: code.textContent ?? '' };
}
