/**
 * What the chat input offers beyond text: context chips, `@` mentions, `/`
 * commands, the mode and model pickers, pasted or dropped images, and the
 * token footer. The chat view hands it the input's keys and text and asks it
 * what a send carries.
 *
 * Algorithm:
 * 1. On each input change, the text before the caret decides: `/word` at the
 *    start lists matching commands; `@word` after a space (or at the start)
 *    asks the host for mentions (`mentions`, answered with the same
 *    `requestId`; older answers are dropped).
 * 2. Picking a mention replaces `@word` by `@label ` and attaches its item.
 *    Picking a command fills `/name `; /new, /clear and /help run at once.
 * 3. A send that is a command runs it (`/ask text` switches to ask mode and
 *    sends `text`); otherwise it carries the chips' items, the mode and the
 *    model; mentions and images are then spent.
 * 4. The footer is recomputed from the conversation's events (usage.ts).
 * 5. When the last turn was a plan (plan mode, ended normally), a button
 *    offers to run it in agent mode: a new prompt with the plan as text.
 */
import type { ChatMode, ContextItem, SilcrowEvent } from '../protocol/contract';
import { AttachmentBar } from './attachments';
import { CompletionList, type Choice } from './completion';
import type { Attachment, FromWebview, ToWebview } from './messages';
import { Pickers } from './pickers';
import { el } from './render';
import { planOf } from './plan';
import { modeOf, parseSlash, slashChoices, slashHelp, type SlashCommand } from './slash';
import { summarize, usageLine } from './usage';

/** What the view remembers across a re-created webview. */
export interface ComposerState {
  chatMode: ChatMode;
  model?: string;
}

export interface ComposerHost {
  post(message: FromWebview): void;
  /** Start a new conversation (the view clears its transcript). */
  newConversation(): void;
  notice(level: 'error' | 'info', text: string): void;
  /** The mode or model changed (the view saves its state). */
  changed(): void;
}

type SlashChoice = Choice & { command: SlashCommand };
type MentionChoice = Choice & { attachment: Attachment };

const MENTION_TAGS: Record<Attachment['icon'], string> = { file: 'file', folder: 'folder', symbol: 'symbol', problems: 'problems', selection: 'sel', image: 'img' };

export class ComposerTools {
  readonly attachments: AttachmentBar;
  readonly pickers: Pickers;
  readonly usage: HTMLElement;
  readonly planBar: HTMLElement;
  private plan: string | undefined;
  private readonly slashList: CompletionList<SlashChoice>;
  private readonly mentionList: CompletionList<MentionChoice>;
  private mentionRequest = 0;
  private mentionStart = -1;
  private provider: string | undefined;
  private events: readonly SilcrowEvent[] = [];

  constructor(
    private readonly input: HTMLTextAreaElement,
    private readonly host: ComposerHost,
    saved: ComposerState | undefined,
  ) {
    this.attachments = new AttachmentBar((text) => host.notice('error', text));
    this.pickers = new Pickers(saved?.chatMode ?? 'agent', saved?.model, () => {
      this.showConversation(this.events); // the footer's price and window are the model's
      host.changed();
    });
    this.usage = el('div', { className: 'usage', role: 'status', ariaLabel: 'Token use' });
    const runPlan = el('button', { className: 'run-plan', textContent: 'Run this plan in agent mode' });
    runPlan.addEventListener('click', () => this.runPlan());
    this.planBar = el('div', { className: 'plan-bar', hidden: true }, [runPlan]);
    this.slashList = new CompletionList<SlashChoice>('commands', (choice) => this.pickCommand(choice.command));
    this.mentionList = new CompletionList<MentionChoice>('mentions', (choice) => this.pickMention(choice.attachment));
    input.addEventListener('input', () => this.onInput());
    input.addEventListener('blur', () => {
      this.slashList.hide();
      this.mentionList.hide();
    });
    input.addEventListener('paste', (event) => {
      if (event.clipboardData && this.attachments.addImages(event.clipboardData.files) > 0) {
        event.preventDefault();
      }
    });
  }

  /** The pop-up lists (placed above the input). */
  get popups(): HTMLElement[] {
    return [this.slashList.element, this.mentionList.element];
  }

  get state(): ComposerState {
    return { chatMode: this.pickers.mode, model: this.pickers.chosenModel };
  }

  /** Accept images dropped anywhere on `zone`. */
  acceptDrops(zone: HTMLElement): void {
    zone.addEventListener('dragover', (event) => {
      if (event.dataTransfer?.types.includes('Files')) {
        event.preventDefault();
      }
    });
    zone.addEventListener('drop', (event) => {
      if (event.dataTransfer && this.attachments.addImages(event.dataTransfer.files) > 0) {
        event.preventDefault();
      }
    });
  }

  /** A key in the input: true when a pop-up list took it. */
  keydown(event: KeyboardEvent): boolean {
    return this.slashList.keydown(event) || this.mentionList.keydown(event);
  }

  /** A host message for the composer; true when it was one. */
  handle(message: ToWebview): boolean {
    switch (message.type) {
      case 'editorContext':
        this.attachments.setEditor(message.attachments);
        return true;
      case 'mentions':
        if (message.requestId === this.mentionRequest && this.mentionStart >= 0) {
          this.mentionList.show(message.choices.map((attachment) => ({ label: attachment.label, detail: attachment.title, tag: MENTION_TAGS[attachment.icon], attachment })));
        }
        return true;
      case 'models':
        this.provider = message.provider;
        this.pickers.setModels(message.models, message.current);
        if (message.error) {
          this.pickers.modelSelect.title = `Could not list the models: ${message.error}`;
        }
        this.showConversation(this.events);
        return true;
      default:
        return false;
    }
  }

  /**
   * What sending `text` does: a `send` message for the host, or undefined when the text was a command
   * run here (or not runnable: a message says why).
   */
  prepare(text: string): FromWebview | undefined {
    const slash = parseSlash(text);
    if (slash?.kind === 'unknown') {
      this.host.notice('error', `/${slash.name} is not a command. ${slashHelp()}`);
      return undefined;
    }
    let body = text;
    if (slash?.kind === 'command') {
      const mode = modeOf(slash.command.name);
      if (!mode) {
        this.run(slash.command, slash.rest);
        return undefined;
      }
      this.pickers.mode = mode;
      this.host.changed();
      if (!slash.rest) {
        return undefined;
      }
      body = slash.rest;
    }
    const context = this.attachments.items();
    this.attachments.clearAdded();
    return this.sendMessage(body, this.pickers.mode, context);
  }

  /** Recompute the footer and the plan button from the conversation's events. */
  showConversation(events: readonly SilcrowEvent[]): void {
    this.events = events;
    const line = usageLine(summarize(events), this.pickers.effectiveModel, this.provider);
    this.usage.textContent = line;
    this.usage.hidden = line === '';
    this.plan = planOf(events);
    this.planBar.hidden = this.plan === undefined;
  }

  private runPlan(): void {
    if (!this.plan) {
      return;
    }
    this.pickers.mode = 'agent';
    this.host.changed();
    this.planBar.hidden = true;
    this.host.post(this.sendMessage(`Carry out this plan:\n\n${this.plan}`, 'agent', []));
  }

  /** A `send` with only what differs from the daemon's defaults (agent mode, the `model` setting, no context). */
  private sendMessage(text: string, chatMode: ChatMode, context: ContextItem[]): FromWebview {
    return {
      type: 'send',
      text,
      ...(context.length > 0 ? { context } : {}),
      ...(chatMode !== 'agent' ? { chatMode } : {}),
      ...(this.pickers.chosenModel ? { model: this.pickers.chosenModel } : {}),
    };
  }

  private run(command: SlashCommand, rest: string): void {
    switch (command.name) {
      case 'new':
      case 'clear':
        this.host.newConversation();
        break;
      case 'help':
        this.host.notice('info', slashHelp());
        break;
      case 'model':
        this.chooseModel(rest);
        break;
      default:
        break;
    }
  }

  private chooseModel(name: string): void {
    if (!name) {
      this.pickers.modelSelect.focus();
      this.host.post({ type: 'listModels' });
      return;
    }
    const matches = this.pickers.choose(name);
    if (matches.length === 1) {
      this.host.changed();
      this.host.notice('info', `Model for this conversation: ${matches[0].id}`);
      this.showConversation(this.events);
      return;
    }
    const offered = (matches.length > 1 ? matches.map((model) => model.id) : this.pickers.modelIds).join(', ');
    this.host.notice('error', matches.length > 1 ? `"${name}" matches several models: ${offered}.` : `No model "${name}"; the provider offers: ${offered || 'none listed'}.`);
  }

  private onInput(): void {
    const before = this.input.value.slice(0, this.input.selectionStart);
    const slash = /^\/([A-Za-z]*)$/.exec(before);
    this.slashList.show(slash ? slashChoices(slash[1]).map((command) => ({ label: `/${command.name}`, detail: command.help, command })) : []);
    const mention = /(^|\s)@([^\s@]*)$/.exec(before);
    if (!mention) {
      this.mentionStart = -1;
      this.mentionList.hide();
      return;
    }
    this.mentionStart = before.length - mention[2].length - 1;
    this.host.post({ type: 'mentions', requestId: ++this.mentionRequest, query: mention[2] });
  }

  private pickCommand(command: SlashCommand): void {
    if (command.args === '') {
      this.input.value = '';
      this.run(command, '');
      return;
    }
    this.input.value = `/${command.name} `;
    this.input.setSelectionRange(this.input.value.length, this.input.value.length);
  }

  private pickMention(attachment: Attachment): void {
    const start = this.mentionStart;
    const end = this.input.selectionStart;
    if (start < 0) {
      return;
    }
    const inserted = `@${attachment.label} `;
    this.input.value = this.input.value.slice(0, start) + inserted + this.input.value.slice(end);
    const caret = start + inserted.length;
    this.input.setSelectionRange(caret, caret);
    this.mentionStart = -1;
    this.attachments.add(attachment);
    this.input.dispatchEvent(new Event('input'));
  }
}
