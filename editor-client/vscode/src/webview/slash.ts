/**
 * The chat input's `/` commands: their names and help, and how a message
 * that starts with one is read. What each does is the composer's business.
 */
import type { ChatMode } from '../protocol/contract';

export type SlashName = 'new' | 'clear' | 'ask' | 'plan' | 'agent' | 'model' | 'help';

export interface SlashCommand {
  name: SlashName;
  /** What may follow the command, for the help line (empty: nothing). */
  args: string;
  help: string;
}

export const SLASH_COMMANDS: readonly SlashCommand[] = [
  { name: 'new', args: '', help: 'Start a new conversation' },
  { name: 'clear', args: '', help: 'Clear the chat: a new conversation (as /new)' },
  { name: 'ask', args: '[question]', help: 'Ask mode: the agent only reads (and sends the question, if any)' },
  { name: 'plan', args: '[task]', help: 'Plan mode: read only, ends with a numbered plan' },
  { name: 'agent', args: '[task]', help: 'Agent mode: the agent may edit files and run commands' },
  { name: 'model', args: '[name]', help: 'Choose the model for this conversation' },
  { name: 'help', args: '', help: 'List these commands' },
];

/** The chat mode a command switches to, if it is one of /ask, /plan, /agent. */
export function modeOf(name: SlashName): ChatMode | undefined {
  return name === 'ask' || name === 'plan' || name === 'agent' ? name : undefined;
}

export type SlashParse =
  | { kind: 'command'; command: SlashCommand; rest: string }
  | { kind: 'unknown'; name: string }
  | undefined;

/** Read `text` as a command line: `/name rest`; undefined when it does not start with `/word`. */
export function parseSlash(text: string): SlashParse {
  const match = /^\/([A-Za-z]+)(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!match) {
    return undefined;
  }
  const name = match[1].toLowerCase();
  const command = SLASH_COMMANDS.find((candidate) => candidate.name === name);
  return command ? { kind: 'command', command, rest: (match[2] ?? '').trim() } : { kind: 'unknown', name };
}

/** The commands whose name starts with `prefix`. */
export function slashChoices(prefix: string): SlashCommand[] {
  return SLASH_COMMANDS.filter((command) => command.name.startsWith(prefix.toLowerCase()));
}

/** The `/help` text: one line per command. */
export function slashHelp(): string {
  return SLASH_COMMANDS.map((command) => `/${command.name}${command.args ? ` ${command.args}` : ''}: ${command.help}`).join('\n');
}
