/**
 * The "Restore to before this turn" button under each of the user's messages
 * (checkpoints): the button carries its turn id; the chat view turns a click
 * on it into a `restore` message for the host.
 */
/** The "Restore to before this turn" button of a user's message. */
export function restoreButton(turnId: string): HTMLElement {
  const node = document.createElement('button');
  node.className = 'restore';
  node.textContent = 'Restore to before this turn';
  node.title = 'Put back every file this turn and the later ones changed';
  node.dataset.turnId = turnId;
  return node;
}

/** The turn of a click on a restore button, if it was one. */
export function restoreTurnOf(target: EventTarget | null): string | undefined {
  if (!(target instanceof HTMLElement)) {
    return undefined;
  }
  return target.closest<HTMLElement>('button.restore')?.dataset.turnId;
}
