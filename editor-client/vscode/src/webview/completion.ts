/**
 * The pop-up list under the chat input for `@` mentions and `/` commands:
 * shows choices, moves the highlighted one with the arrow keys, picks with
 * Enter, Tab or a click, closes with Escape. It owns no text: the composer
 * decides what a pick does.
 */
import { el } from './render';

export interface Choice {
  label: string;
  detail?: string;
  /** A short marker shown before the label (e.g. the kind of a mention). */
  tag?: string;
}

export class CompletionList<T extends Choice> {
  readonly element: HTMLElement;
  private choices: T[] = [];
  private active = 0;

  constructor(
    name: string,
    private readonly onPick: (choice: T) => void,
  ) {
    this.element = el('ul', { className: `completion ${name}`, role: 'listbox', ariaLabel: name, hidden: true });
    // mousedown, not click: the input keeps its focus (and caret)
    this.element.addEventListener('mousedown', (event) => {
      const row = (event.target as HTMLElement).closest<HTMLElement>('li[data-index]');
      if (row) {
        event.preventDefault();
        this.pick(Number(row.dataset.index));
      }
    });
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  /** Show `choices` (an empty list closes the pop-up). */
  show(choices: T[]): void {
    this.choices = choices;
    this.active = 0;
    this.element.hidden = choices.length === 0;
    this.render();
  }

  hide(): void {
    this.show([]);
  }

  /** Handle a key of the input while the list is open; true when the key was the list's. */
  keydown(event: KeyboardEvent): boolean {
    if (!this.open) {
      return false;
    }
    switch (event.key) {
      case 'ArrowDown':
      case 'ArrowUp':
        this.active = (this.active + (event.key === 'ArrowDown' ? 1 : -1) + this.choices.length) % this.choices.length;
        this.render();
        break;
      case 'Enter':
      case 'Tab':
        this.pick(this.active);
        break;
      case 'Escape':
        this.hide();
        break;
      default:
        return false;
    }
    event.preventDefault();
    event.stopPropagation();
    return true;
  }

  private pick(index: number): void {
    const choice = this.choices[index];
    this.hide();
    if (choice) {
      this.onPick(choice);
    }
  }

  private render(): void {
    this.element.replaceChildren(
      ...this.choices.map((choice, index) =>
        el('li', { role: 'option', ariaSelected: index === this.active, className: index === this.active ? 'active' : '', title: choice.detail ?? '' }, [
          el('span', { className: 'tag', textContent: choice.tag ?? '' }),
          el('span', { className: 'label', textContent: choice.label }),
          el('span', { className: 'detail', textContent: choice.detail ?? '' }),
        ]),
      ),
    );
    [...this.element.children].forEach((row, index) => ((row as HTMLElement).dataset.index = String(index)));
    this.element.children[this.active]?.scrollIntoView({ block: 'nearest' });
  }
}
