/**
 * The mode and model pickers beside the chat input: two `<select>`s. The
 * model list comes from the host (`silcrow/models`); "Default model" sends no
 * model, so the daemon's `model` setting applies. A chosen model that the
 * list no longer offers is kept (and shown) rather than silently dropped.
 */
import { CHAT_MODES, type ChatMode, type ModelInfo } from '../protocol/contract';
import { el } from './render';

const MODE_LABELS: Record<ChatMode, string> = { agent: 'Agent', ask: 'Ask', plan: 'Plan' };
const MODE_TITLES: Record<ChatMode, string> = {
  agent: 'Agent: may edit files and run commands (as permissions allow)',
  ask: 'Ask: read-only, answers questions',
  plan: 'Plan: read-only, ends with a numbered plan',
};

export class Pickers {
  readonly element: HTMLElement;
  readonly modeSelect: HTMLSelectElement;
  readonly modelSelect: HTMLSelectElement;
  private models: ModelInfo[] = [];
  private defaultModel: string | undefined;

  constructor(mode: ChatMode, private model: string | undefined, onChange: () => void) {
    this.modeSelect = el('select', { className: 'mode', ariaLabel: 'Chat mode' }, CHAT_MODES.map((value) => el('option', { value, textContent: MODE_LABELS[value], title: MODE_TITLES[value] })));
    this.modeSelect.value = mode;
    this.modelSelect = el('select', { className: 'model', ariaLabel: 'Model' });
    this.modeSelect.addEventListener('change', () => {
      this.modeSelect.title = MODE_TITLES[this.mode];
      onChange();
    });
    this.modelSelect.addEventListener('change', () => {
      this.model = this.modelSelect.value || undefined;
      onChange();
    });
    this.modeSelect.title = MODE_TITLES[mode];
    this.element = el('div', { className: 'pickers' }, [this.modeSelect, this.modelSelect]);
    this.renderModels();
  }

  get mode(): ChatMode {
    return this.modeSelect.value as ChatMode;
  }

  set mode(mode: ChatMode) {
    this.modeSelect.value = mode;
    this.modeSelect.title = MODE_TITLES[mode];
  }

  /** The chosen model, undefined for the default. */
  get chosenModel(): string | undefined {
    return this.model;
  }

  /** The model turns run on: the chosen one, else the daemon's default. */
  get effectiveModel(): ModelInfo | undefined {
    const id = this.model ?? this.defaultModel;
    return this.models.find((model) => model.id === id) ?? (id ? { id } : undefined);
  }

  setModels(models: ModelInfo[], current: string | undefined): void {
    this.models = models;
    this.defaultModel = current;
    this.renderModels();
  }

  /** Choose the model whose id or label is `name` (or starts with it); the matches when not exactly one. */
  choose(name: string): ModelInfo[] {
    const wanted = name.toLowerCase();
    const exact = this.models.filter((model) => model.id.toLowerCase() === wanted || model.label?.toLowerCase() === wanted);
    const matches = exact.length > 0 ? exact : this.models.filter((model) => model.id.toLowerCase().startsWith(wanted));
    if (matches.length === 1) {
      this.model = matches[0].id;
      this.renderModels();
    }
    return matches;
  }

  get modelIds(): string[] {
    return this.models.map((model) => model.id);
  }

  private renderModels(): void {
    const shown = this.model && !this.models.some((model) => model.id === this.model) ? [...this.models, { id: this.model }] : this.models;
    const label = this.defaultModel ? `Default (${this.defaultModel})` : 'Default model';
    this.modelSelect.replaceChildren(
      el('option', { value: '', textContent: label }),
      ...shown.map((model) => el('option', { value: model.id, textContent: model.label || model.id })),
    );
    this.modelSelect.value = this.model ?? '';
  }
}
