import { describe, expect, it } from 'vitest';
import { autoAnswer, toPromptMessage } from '../../services/ssh-worker/keyboard-interactive.js';

const passwordPrompt = [{ prompt: 'Password: ', echo: false }];
const codePrompt = [{ prompt: 'Verification code: ', echo: true }];
const pw = Buffer.from('pw');

describe('keyboard-interactive rules (WebSSH2 spec)', () => {
  it('answers a first round of password prompts with the stored password', () => {
    expect(autoAnswer(passwordPrompt, { round: 1, forwardAll: false, password: pw })).toEqual(['pw']);
    expect(autoAnswer([...passwordPrompt, { prompt: 'password again:', echo: false }], { round: 1, forwardAll: false, password: pw })).toEqual(['pw', 'pw']);
  });

  it('forwards later rounds, non-password prompts, forced forwarding, and rounds without a stored password', () => {
    expect(autoAnswer(passwordPrompt, { round: 2, forwardAll: false, password: pw })).toBeNull();
    expect(autoAnswer(codePrompt, { round: 1, forwardAll: false, password: pw })).toBeNull();
    expect(autoAnswer([...passwordPrompt, ...codePrompt], { round: 1, forwardAll: false, password: pw })).toBeNull();
    expect(autoAnswer(passwordPrompt, { round: 1, forwardAll: true, password: pw })).toBeNull();
    expect(autoAnswer(passwordPrompt, { round: 1, forwardAll: false, password: undefined })).toBeNull();
  });

  it("shapes a round as WebSSH2 5.x's prompt dialog", () => {
    const message = toPromptMessage('2FA', 'Enter the code', [...passwordPrompt, ...codePrompt]);
    expect(message).toMatchObject({
      type: 'input',
      title: '2FA',
      message: 'Enter the code',
      inputs: [
        { id: 'response-0', label: 'Password: ', type: 'password', required: true },
        { id: 'response-1', label: 'Verification code: ', type: 'text', required: true },
      ],
      buttons: [{ action: 'submit' }, { action: 'cancel' }],
    });
    expect(toPromptMessage('', '', codePrompt).title).toBe('Keyboard-interactive authentication');
  });
});
