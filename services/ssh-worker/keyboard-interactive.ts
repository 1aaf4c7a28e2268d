/**
 * WebSSH2's keyboard-interactive rules: the first round is answered with the
 * stored password when every prompt asks for a password; every other round
 * goes to the user, as does every round when the client or the server says
 * to forward all prompts.
 */
import { randomUUID } from 'node:crypto';
import type { Prompt } from 'ssh2';
import type { PromptMessage } from '../../shared/protocol/events.js';

export interface RoundPolicy {
  round: number;
  forwardAll: boolean;
  /** The login password (a Buffer the login zeroes afterwards; its text exists only while answering). */
  password: Buffer | undefined;
}

export function autoAnswer(prompts: readonly Prompt[], policy: RoundPolicy): string[] | null {
  if (policy.forwardAll || policy.round !== 1 || policy.password === undefined || prompts.length === 0) return null;
  if (!prompts.every((p) => /password/i.test(p.prompt))) return null;
  const password = policy.password.toString('utf8');
  return prompts.map(() => password);
}

export function toPromptMessage(name: string, instructions: string, prompts: readonly Prompt[]): PromptMessage {
  return {
    id: randomUUID(),
    type: 'input',
    title: name || 'Keyboard-interactive authentication',
    message: instructions,
    inputs: prompts.map((p, index) => ({
      id: `response-${index}`,
      label: p.prompt,
      type: p.echo ? 'text' : 'password',
      required: true,
    })),
    buttons: [
      { action: 'submit', label: 'Submit', variant: 'primary' },
      { action: 'cancel', label: 'Cancel', variant: 'secondary' },
    ],
    autoFocus: true,
  };
}
