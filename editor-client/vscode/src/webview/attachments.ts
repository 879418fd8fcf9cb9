/**
 * The chips above the chat input: what goes with the next message.
 *
 * Algorithm:
 * 1. The host reports the editor's context (current file, selection) as it
 *    changes; those chips replace the previous editor chips. A chip the user
 *    removed stays removed while its id (file, range) is unchanged.
 * 2. `@` mentions and pasted or dropped images are added by the composer and
 *    kept until the message is sent (or removed).
 * 3. `items()` is what the message carries: each shown chip's context item,
 *    in order, editor chips first.
 * 4. An image is read as base64 (FileReader); one larger than
 *    `MAX_IMAGE_BYTES` (5 MiB) or of a type other than PNG, JPEG, GIF or
 *    WebP is refused with a message saying so.
 */
import { IMAGE_TYPES, MAX_IMAGE_BYTES, type ContextItem } from '../protocol/contract';
import type { Attachment, AttachmentIcon } from './messages';
import { el } from './render';

/** A glyph before the label where the label alone does not say the kind (fonts without emoji have these). */
const ICONS: Record<AttachmentIcon, string> = {
  file: '',
  selection: '✂',
  folder: '/',
  symbol: '#',
  problems: '⚠',
  image: '',
};

export class AttachmentBar {
  readonly element: HTMLElement;
  private editor: Attachment[] = [];
  private added: Attachment[] = [];
  private readonly dismissed = new Set<string>();
  private images = 0;

  constructor(private readonly refuse: (text: string) => void) {
    this.element = el('div', { className: 'attachments', ariaLabel: 'Context sent with the message' });
    this.render();
  }

  /** The editor's current file and selection (replacing the last ones). */
  setEditor(attachments: Attachment[]): void {
    const ids = new Set(attachments.map((attachment) => attachment.id));
    [...this.dismissed].filter((id) => !ids.has(id)).forEach((id) => this.dismissed.delete(id));
    this.editor = attachments;
    this.render();
  }

  /** Attach a mention or an image (an attachment with the same id is replaced). */
  add(attachment: Attachment): void {
    this.added = [...this.added.filter((other) => other.id !== attachment.id), attachment];
    this.dismissed.delete(attachment.id);
    this.render();
  }

  /** Read image files (pasted or dropped) and attach each; returns how many were images. */
  addImages(files: Iterable<File>): number {
    const images = [...files].filter((file) => file.type.startsWith('image/'));
    for (const file of images) {
      const name = file.name || 'The pasted image';
      if (!IMAGE_TYPES.includes(file.type)) {
        this.refuse(`${name} is ${file.type}; images can be PNG, JPEG, GIF or WebP.`);
        continue;
      }
      if (file.size > MAX_IMAGE_BYTES) {
        this.refuse(`${name} is ${(file.size / 1048576).toFixed(1)} MB; images up to 5 MB can be sent.`);
        continue;
      }
      const reader = new FileReader();
      const id = `image:${++this.images}`;
      reader.addEventListener('load', () => {
        const url = reader.result as string; // readAsDataURL: a data: URL
        const data = url.slice(url.indexOf(',') + 1);
        this.add({ id, label: file.name || `image ${this.images}`, icon: 'image', item: { kind: 'image', mimeType: file.type, data } });
      });
      reader.readAsDataURL(file);
    }
    return images.length;
  }

  /** The shown chips (a mention of the current file is the editor's chip, once). */
  shown(): Attachment[] {
    const editor = new Set(this.editor.map((attachment) => attachment.id));
    const added = this.added.filter((attachment) => !editor.has(attachment.id));
    return [...this.editor, ...added].filter((attachment) => !this.dismissed.has(attachment.id));
  }

  /** The context items of the shown chips, for the message being sent. */
  items(): ContextItem[] {
    return this.shown().flatMap((attachment) => (attachment.item ? [attachment.item] : []));
  }

  /** After a send: mentions and images are spent; the editor's chips stay. */
  clearAdded(): void {
    this.added = [];
    this.render();
  }

  remove(id: string): void {
    if (this.added.some((attachment) => attachment.id === id)) {
      this.added = this.added.filter((attachment) => attachment.id !== id);
    } else {
      this.dismissed.add(id);
    }
    this.render();
  }

  private render(): void {
    const chips = this.shown().map((attachment) => this.chip(attachment));
    this.element.replaceChildren(...chips);
    this.element.hidden = chips.length === 0;
  }

  private chip(attachment: Attachment): HTMLElement {
    const remove = el('button', { className: 'remove', textContent: '×', title: 'Remove', ariaLabel: `Remove ${attachment.label}` });
    remove.addEventListener('click', () => this.remove(attachment.id));
    const icon =
      attachment.item?.kind === 'image'
        ? el('img', { className: 'thumb', src: `data:${attachment.item.mimeType};base64,${attachment.item.data}`, alt: '' })
        : ICONS[attachment.icon]
          ? el('span', { className: 'icon', textContent: ICONS[attachment.icon], ariaHidden: true })
          : undefined;
    const title = attachment.icon === 'image' ? attachment.label : attachment.title ?? attachment.label;
    const label = el('span', { className: 'label', textContent: attachment.label });
    const chip = el('span', { className: `chip ${attachment.icon}`, title }, icon ? [icon, label, remove] : [label, remove]);
    chip.dataset.id = attachment.id;
    return chip;
  }
}
