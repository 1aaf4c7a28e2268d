/**
 * Numbers that the page and the gateway (or the gateway and the worker) must
 * agree on, in one place. Plain constants, no zod: the page's bundle imports
 * this module.
 */

/** Longest host name accepted (RFC 1035's 255 octets). */
export const MAX_HOST_LENGTH = 255;
export const MAX_USERNAME_LENGTH = 256;
/** Passwords, passphrases and prompt answers. */
export const MAX_SECRET_LENGTH = 8 * 1024;
/** A private key pasted or read from a file; a bigger file is not a key. */
export const MAX_PRIVATE_KEY_LENGTH = 64 * 1024;
export const MAX_TERM_LENGTH = 64;
/** Terminal names reach the remote pty; they are kept to what terminfo uses. */
export const TERM_NAME_PATTERN = /^[A-Za-z0-9._+-]+$/;

/**
 * One `data` event, in characters: a paste of this size is fine, a megabyte
 * is not. The page sends big pastes in pieces of INPUT_PIECE_BYTES, which in
 * UTF-8 are never more characters than bytes.
 */
export const MAX_INPUT_EVENT_LENGTH = 64 * 1024;
export const INPUT_PIECE_BYTES = MAX_INPUT_EVENT_LENGTH / 2;

export const MAX_COMMAND_LENGTH = 16 * 1024;
export const MAX_PROMPT_ANSWERS = 16;

/**
 * The gateway answers `session:resume` within this (else it says `busy`);
 * the page waits twice as long before it presumes the socket stuck.
 */
export const RESUME_ANSWER_TIMEOUT_MS = 5_000;
export const PAGE_RESUME_PATIENCE_MS = 2 * RESUME_ANSWER_TIMEOUT_MS;
