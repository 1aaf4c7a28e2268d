/**
 * The page's DOM-free logic (services/browser/): the offsets and the journal
 * behind session-extension.md's resume guarantees, ack pacing, reconnect
 * backoff, and the session log's escape stripping. Each is a plain class, so
 * these tests drive it the way session-link.ts does, with the other side
 * (server, socket, clock) played by the test.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AckThrottle } from '../../services/browser/ack-throttle.js';
import { AnsiStripper } from '../../services/browser/ansi-stripper.js';
import { InputJournal } from '../../services/browser/input-journal.js';
import { OutputOffsets } from '../../services/browser/output-offsets.js';
import { ReconnectBackoff, RESUME_BACKOFF } from '../../services/browser/reconnect-backoff.js';

const encoder = new TextEncoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const result = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    result.set(part, at);
    at += part.length;
  }
  return result;
}

/** Cuts `data` at the given positions (taken modulo its length, in any order). */
function splitAt<T extends { length: number; slice(start: number, end?: number): T }>(data: T, cuts: readonly number[]): T[] {
  const points = [...new Set(cuts.map((cut) => (data.length === 0 ? 0 : cut % (data.length + 1))))].sort((a, b) => a - b);
  const pieces: T[] = [];
  let start = 0;
  for (const point of [...points, data.length]) {
    if (point <= start) continue;
    pieces.push(data.slice(start, point));
    start = point;
  }
  return pieces;
}

/** Text with one- to four-byte UTF-8 characters, controls included: input is whatever the user types. */
const typedText = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'Z', '\r', '\x03', '\x1b', 'é', 'ß', '€', '中', '😀', '🇫🇷'), maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
);

describe('output offsets', () => {
  it('passes fresh chunks through and counts their bytes', () => {
    const output = new OutputOffsets();
    const chunk = bytes('hello');
    expect(output.accept(chunk)).toBe(chunk);
    expect(output.accept(bytes('€'))).toEqual(bytes('€'));
    expect(output.received).toBe(8);
    expect(output.streamPosition).toBe(8);
  });

  it('after a resume from an earlier offset, drops the bytes already received and splits the chunk that straddles the boundary', () => {
    const output = new OutputOffsets();
    const stream = bytes('0123456789abcdef');
    output.accept(stream.slice(0, 10));
    expect(output.resumedAt(6)).toBe(0);
    expect(output.received).toBe(10);
    expect(output.streamPosition).toBe(6);

    expect(output.accept(stream.slice(6, 8))).toBeUndefined(); // all seen before
    expect(output.streamPosition).toBe(8);
    expect(output.received).toBe(10);
    expect(output.accept(stream.slice(8, 13))).toEqual(bytes('abc')); // 8..9 seen, 10..12 fresh
    expect(output.received).toBe(13);
    expect(output.accept(stream.slice(13))).toEqual(bytes('def'));
    expect(output.received).toBe(16);
    expect(output.streamPosition).toBe(16);
  });

  it('an empty chunk gives the terminal nothing to write', () => {
    const output = new OutputOffsets();
    expect(output.accept(new Uint8Array(0))).toBeUndefined();
    expect(output.received).toBe(0);
  });

  it('drops nothing after a resume at exactly the received offset', () => {
    const output = new OutputOffsets();
    output.accept(bytes('abc'));
    expect(output.resumedAt(3)).toBe(0);
    expect(output.accept(bytes('d'))).toEqual(bytes('d'));
    expect(output.received).toBe(4);
  });

  it('reports the bytes a server skipped when it resumes ahead, and counts on from there', () => {
    const output = new OutputOffsets();
    output.accept(bytes('abc'));
    expect(output.resumedAt(10)).toBe(7);
    expect(output.received).toBe(10);
    expect(output.streamPosition).toBe(10);
    expect(output.accept(bytes('xy'))).toEqual(bytes('xy'));
    expect(output.received).toBe(12);
  });

  it('a second resume while the overlap of the first is still arriving drops exactly the new overlap', () => {
    const output = new OutputOffsets();
    const stream = bytes('abcdefghijklmnop');
    output.accept(stream.slice(0, 10));
    output.resumedAt(2);
    expect(output.accept(stream.slice(2, 5))).toBeUndefined();
    // The socket dies again; the page names 10, the server answers 4.
    output.resumedAt(4);
    expect(output.accept(stream.slice(4, 12))).toEqual(stream.slice(10, 12));
    expect(output.received).toBe(12);
  });

  it('restart starts a new session at offset 0 and forgets pending overlap', () => {
    const output = new OutputOffsets();
    output.accept(bytes('abcdef'));
    output.resumedAt(0);
    output.restart();
    expect(output.received).toBe(0);
    expect(output.streamPosition).toBe(0);
    expect(output.accept(bytes('xy'))).toEqual(bytes('xy'));
  });

  it('for any chunking and any earlier resume offsets, the terminal gets every byte exactly once, in order', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.record({ stopAt: fc.nat(), back: fc.nat(), cuts: fc.array(fc.nat(), { maxLength: 8 }) }), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (stream, lostSockets, lastCuts) => {
          const output = new OutputOffsets();
          const rendered: Uint8Array[] = [];
          /** Where the server starts sending on the current socket. */
          let from = 0;
          const receive = (to: number, cuts: readonly number[]): void => {
            for (const chunk of splitAt(stream.slice(from, to), cuts)) {
              const fresh = output.accept(chunk);
              if (fresh) rendered.push(fresh);
            }
            expect(output.streamPosition).toBe(to);
          };
          for (const { stopAt, back, cuts } of lostSockets) {
            // The socket dies after some of what the server sent arrived.
            receive(from + (stopAt % (stream.length - from + 1)), cuts);
            // The page names what it received; the server answers that or anything earlier.
            from = output.received - (back % (output.received + 1));
            expect(output.resumedAt(from)).toBe(0);
          }
          receive(stream.length, lastCuts);
          expect(concat(rendered)).toEqual(stream);
          expect(output.received).toBe(stream.length);
        },
      ),
    );
  });
});

describe('input journal', () => {
  it('hands typed input over once and counts its UTF-8 bytes as sent', () => {
    const journal = new InputJournal(1024);
    journal.type('ls');
    journal.type(' é€😀');
    expect(journal.sent).toBe(0);
    expect(journal.takeUnsent(1024)).toEqual(['ls é€😀']);
    expect(journal.sent).toBe(2 + 1 + 2 + 3 + 4);
    expect(journal.takeUnsent(1024)).toEqual([]);
  });

  it('ignores empty input', () => {
    const journal = new InputJournal(1024);
    journal.type('');
    expect(journal.takeUnsent(16)).toEqual([]);
    expect(journal.sent).toBe(0);
  });

  it('after a resume, re-sends exactly the bytes after the server’s input offset', () => {
    const journal = new InputJournal(1024);
    journal.type('abc');
    journal.takeUnsent(1024);
    journal.type('def');
    journal.takeUnsent(1024);
    journal.type('gh'); // typed while reconnecting
    expect(journal.rewindTo(4)).toBe(0);
    expect(journal.sent).toBe(4);
    expect(journal.takeUnsent(1024)).toEqual(['efgh']);
    expect(journal.sent).toBe(8);
  });

  it('re-sends whole multi-byte characters when the server’s offset falls between two of them', () => {
    const journal = new InputJournal(1024);
    journal.type('é€');
    journal.takeUnsent(1024);
    journal.type('😀中');
    journal.takeUnsent(1024);
    // é = 2 bytes, € = 3, 😀 = 4: the server received é€😀.
    expect(journal.rewindTo(9)).toBe(0);
    expect(journal.takeUnsent(1024)).toEqual(['中']);
    expect(journal.rewindTo(2)).toBe(0);
    expect(journal.takeUnsent(1024)).toEqual(['€😀中']);
  });

  it('a resume at the current input offset re-sends nothing', () => {
    const journal = new InputJournal(1024);
    journal.type('abc');
    journal.takeUnsent(1024);
    expect(journal.rewindTo(3)).toBe(0);
    expect(journal.takeUnsent(1024)).toEqual([]);
  });

  it('splits a big paste into pieces of at most the given bytes without cutting a character', () => {
    const journal = new InputJournal(1024);
    journal.type('a'.repeat(100));
    expect(journal.takeUnsent(32).map((piece) => piece.length)).toEqual([32, 32, 32, 4]);

    journal.type('€'.repeat(20)); // 60 bytes: 10 characters fit in 32
    expect(journal.takeUnsent(32)).toEqual(['€'.repeat(10), '€'.repeat(10)]);

    journal.type('ab😀😀'); // 10 bytes; the first piece may not end inside the first emoji
    expect(journal.takeUnsent(5)).toEqual(['ab', '😀', '😀']);
    expect(journal.sent).toBe(100 + 60 + 10);
  });

  it('keeps only a bounded window of sent input, and reports what a resume from before it cannot re-send', () => {
    const keep = 16;
    const journal = new InputJournal(keep);
    const typed = 'abcdefghijklmnopqrstuvwxyz'.repeat(40); // 1040 bytes
    for (const char of typed) {
      journal.type(char);
      journal.takeUnsent(1024);
    }
    const lost = journal.rewindTo(0);
    // Memory: at most the window's worth (plus the chunk that reaches into it) is kept.
    expect(typed.length - lost).toBeLessThanOrEqual(keep);
    expect(typed.length - lost).toBeGreaterThanOrEqual(keep);
    expect(journal.takeUnsent(1024)).toEqual([typed.slice(lost)]);
  });

  it('keeps whole chunks: a chunk that reaches into the window stays whole', () => {
    const journal = new InputJournal(4);
    journal.type('0123456789'); // one 10-byte chunk
    journal.takeUnsent(1024);
    journal.type('ab');
    journal.takeUnsent(1024);
    // The window starts at 8, inside the first chunk, so all of it is kept.
    expect(journal.rewindTo(0)).toBe(0);
    expect(journal.takeUnsent(1024)).toEqual(['0123456789ab']);
    journal.type('cdefghij');
    journal.takeUnsent(1024);
    // Now the window starts at 16: chunks 0..10 and 10..12 are gone, 12..20 stays.
    expect(journal.rewindTo(3)).toBe(9);
    expect(journal.takeUnsent(1024)).toEqual(['cdefghij']);
  });

  it('with an empty window, a resume behind the sent offset loses exactly the gap', () => {
    const journal = new InputJournal(0);
    journal.type('abc');
    journal.takeUnsent(1024);
    journal.type('de'); // not yet sent: never dropped
    expect(journal.rewindTo(1)).toBe(2);
    expect(journal.takeUnsent(1024)).toEqual(['de']);
  });

  it('restart starts a new session at input offset 0', () => {
    const journal = new InputJournal(1024);
    journal.type('old');
    journal.takeUnsent(1024);
    journal.type('unsent');
    journal.restart();
    expect(journal.sent).toBe(0);
    expect(journal.takeUnsent(1024)).toEqual([]);
    journal.type('new');
    expect(journal.takeUnsent(1024)).toEqual(['new']);
    expect(journal.rewindTo(0)).toBe(0);
    expect(journal.takeUnsent(1024)).toEqual(['new']);
  });

  type InputStep =
    | { kind: 'type'; text: string }
    | { kind: 'send'; maxBytes: number }
    | { kind: 'deliver'; pieces: number }
    | { kind: 'drop' };

  const inputStep: fc.Arbitrary<InputStep> = fc.oneof(
    typedText.map((text) => ({ kind: 'type' as const, text })),
    fc.integer({ min: 4, max: 24 }).map((maxBytes) => ({ kind: 'send' as const, maxBytes })),
    fc.nat({ max: 4 }).map((pieces) => ({ kind: 'deliver' as const, pieces })),
    fc.constant({ kind: 'drop' as const }),
  );

  it('for any typing, chunking and socket losses, the SSH session gets every typed byte exactly once, in order', () => {
    fc.assert(
      fc.property(fc.array(inputStep, { maxLength: 40 }), fc.integer({ min: 4, max: 24 }), (steps, lastMaxBytes) => {
        const journal = new InputJournal(1024 * 1024);
        let typed = '';
        const server: Uint8Array[] = [];
        let serverBytes = 0;
        /** Emitted on the current socket, not yet arrived. */
        let inFlight: string[] = [];
        const send = (maxBytes: number): void => {
          for (const piece of journal.takeUnsent(maxBytes)) {
            const pieceBytes = bytes(piece);
            expect(pieceBytes.length).toBeGreaterThan(0);
            expect(pieceBytes.length).toBeLessThanOrEqual(maxBytes);
            inFlight.push(piece);
          }
        };
        const deliver = (count: number): void => {
          for (const piece of inFlight.splice(0, count)) {
            server.push(bytes(piece));
            serverBytes += bytes(piece).length;
          }
        };
        for (const step of steps) {
          if (step.kind === 'type') {
            journal.type(step.text);
            typed += step.text;
          } else if (step.kind === 'send') send(step.maxBytes);
          else if (step.kind === 'deliver') deliver(step.pieces);
          else {
            // The socket dies with its in-flight input; the resume names what the server got.
            inFlight = [];
            expect(journal.rewindTo(serverBytes)).toBe(0);
            expect(journal.sent).toBe(serverBytes);
          }
        }
        send(lastMaxBytes);
        deliver(inFlight.length);
        expect(concat(server)).toEqual(bytes(typed));
        expect(journal.sent).toBe(serverBytes);
      }),
    );
  });

  it('for any window, a resume re-sends the typed bytes from the server’s offset (or the oldest kept) to the end', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(typedText, fc.boolean()), { maxLength: 30 }),
        fc.nat({ max: 64 }),
        fc.nat(),
        (typing, keep, back) => {
          const journal = new InputJournal(keep);
          let typed = '';
          for (const [text, sendNow] of typing) {
            journal.type(text);
            typed += text;
            if (sendNow) journal.takeUnsent(1024);
          }
          const all = bytes(typed);
          const sent = journal.sent;
          // Resume at a character boundary the server could have reached.
          const boundaries = [0];
          for (const char of typed) boundaries.push(boundaries[boundaries.length - 1]! + bytes(char).length);
          const reachable = boundaries.filter((offset) => offset <= sent);
          const offset = reachable[back % reachable.length]!;
          const lost = journal.rewindTo(offset);
          expect(lost).toBeGreaterThanOrEqual(0);
          if (sent - offset <= keep) expect(lost).toBe(0);
          const resent = concat(journal.takeUnsent(1024).map(bytes));
          expect(resent).toEqual(all.slice(offset + lost));
        },
      ),
    );
  });
});

describe('ack throttle', () => {
  const intervalMs = 50;
  const stepBytes = 1000;

  function harness(initialAckable = Number.MAX_SAFE_INTEGER) {
    const sent: number[] = [];
    const state = { ackable: initialAckable, socket: true };
    const throttle = new AckThrottle(
      intervalMs,
      stepBytes,
      () => state.ackable,
      (offset) => {
        if (!state.socket) return false;
        sent.push(offset);
        return true;
      },
    );
    return { throttle, sent, state };
  }

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('acks small progress once per interval, with the latest rendered offset', () => {
    const { throttle, sent } = harness();
    throttle.renderedUpTo(100);
    vi.advanceTimersByTime(20);
    throttle.renderedUpTo(250);
    throttle.renderedUpTo(400);
    vi.advanceTimersByTime(intervalMs - 21);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([400]);
    vi.advanceTimersByTime(intervalMs * 10);
    expect(sent).toEqual([400]); // nothing new: no more acks
  });

  it('acks at once when a step of bytes has been rendered since the last ack', () => {
    const { throttle, sent } = harness();
    throttle.renderedUpTo(999);
    expect(sent).toEqual([]);
    throttle.renderedUpTo(1000);
    expect(sent).toEqual([1000]);
    throttle.renderedUpTo(1500);
    expect(sent).toEqual([1000]);
    throttle.renderedUpTo(2000);
    expect(sent).toEqual([1000, 2000]);
    vi.advanceTimersByTime(intervalMs * 4);
    expect(sent).toEqual([1000, 2000]); // the flush cancelled the timer
  });

  it('ignores write callbacks that report less than already rendered', () => {
    const { throttle, sent } = harness();
    throttle.renderedUpTo(500);
    throttle.renderedUpTo(300);
    vi.advanceTimersByTime(intervalMs);
    expect(sent).toEqual([500]);
  });

  it('never acks past what the server has sent on this socket, and catches up when it has', () => {
    const { throttle, sent, state } = harness(600);
    throttle.renderedUpTo(1200); // a step: flushes at once, but only up to 600
    expect(sent).toEqual([600]);
    vi.advanceTimersByTime(intervalMs);
    expect(sent).toEqual([600]); // still capped: nothing new to ack
    state.ackable = 900;
    vi.advanceTimersByTime(intervalMs);
    expect(sent).toEqual([600, 900]);
    state.ackable = 5000;
    vi.advanceTimersByTime(intervalMs);
    expect(sent).toEqual([600, 900, 1200]); // never past rendered
    vi.advanceTimersByTime(intervalMs * 5);
    expect(sent).toEqual([600, 900, 1200]);
  });

  it('without a socket, counts nothing as acked; a resume re-arms the timer', () => {
    const { throttle, sent, state } = harness();
    state.socket = false;
    throttle.renderedUpTo(300);
    vi.advanceTimersByTime(intervalMs * 5);
    expect(sent).toEqual([]);
    state.socket = true;
    throttle.resumedAt(100);
    vi.advanceTimersByTime(intervalMs);
    expect(sent).toEqual([300]);
  });

  it('a send that found no socket is not counted: the next flush sends the same offset', () => {
    const { throttle, sent, state } = harness();
    state.socket = false;
    throttle.renderedUpTo(300);
    vi.advanceTimersByTime(intervalMs);
    state.socket = true;
    throttle.flush();
    expect(sent).toEqual([300]);
  });

  it('after a resume, acks only what is rendered beyond the resume offset', () => {
    const { throttle, sent } = harness();
    throttle.renderedUpTo(300);
    vi.advanceTimersByTime(intervalMs);
    expect(sent).toEqual([300]);
    throttle.stop();
    throttle.resumedAt(300);
    vi.advanceTimersByTime(intervalMs * 3);
    expect(sent).toEqual([300]); // nothing beyond it
    throttle.renderedUpTo(350);
    vi.advanceTimersByTime(intervalMs);
    expect(sent).toEqual([300, 350]);
  });

  it('stop cancels a pending ack; restart forgets the old session', () => {
    const { throttle, sent } = harness();
    throttle.renderedUpTo(300);
    vi.advanceTimersByTime(10);
    throttle.renderedUpTo(400); // one timer for both
    throttle.stop();
    vi.advanceTimersByTime(intervalMs * 3);
    expect(sent).toEqual([]);
    throttle.renderedUpTo(5000);
    expect(sent).toEqual([5000]);
    throttle.restart();
    throttle.renderedUpTo(10); // far below the old session's offsets, yet news
    vi.advanceTimersByTime(intervalMs);
    expect(sent).toEqual([5000, 10]);
  });

  it('with output offsets after a resume from an earlier offset, acks wait for the re-sent overlap', () => {
    const output = new OutputOffsets();
    const sent: number[] = [];
    const throttle = new AckThrottle(
      intervalMs,
      stepBytes,
      () => output.streamPosition,
      (offset) => sent.push(offset) > 0,
    );
    const stream = new Uint8Array(3000).map((_, i) => i % 251);
    output.accept(stream.slice(0, 2500));
    throttle.renderedUpTo(output.received);
    expect(sent).toEqual([2500]);
    output.accept(stream.slice(2500, 2800));
    throttle.renderedUpTo(output.received); // 2800, socket dies before the ack goes
    throttle.stop();
    // The server resumes at 2000: it has sent nothing beyond it on the new socket.
    output.resumedAt(2000);
    throttle.resumedAt(2000);
    vi.advanceTimersByTime(intervalMs * 3);
    expect(sent).toEqual([2500]);
    expect(output.accept(stream.slice(2000, 2600))).toBeUndefined();
    vi.advanceTimersByTime(intervalMs);
    expect(sent).toEqual([2500, 2600]);
    output.accept(stream.slice(2600, 3000));
    vi.advanceTimersByTime(intervalMs);
    expect(sent).toEqual([2500, 2600, 2800]); // rendered, not received
  });

  type AckStep =
    | { kind: 'render'; bytes: number }
    | { kind: 'wait'; ms: number }
    | { kind: 'ackable'; bytes: number }
    | { kind: 'lose' }
    | { kind: 'resume'; back: number };

  const ackStep: fc.Arbitrary<AckStep> = fc.oneof(
    fc.integer({ min: 1, max: 1500 }).map((n) => ({ kind: 'render' as const, bytes: n })),
    fc.integer({ min: 1, max: 120 }).map((ms) => ({ kind: 'wait' as const, ms })),
    fc.nat({ max: 2000 }).map((n) => ({ kind: 'ackable' as const, bytes: n })),
    fc.constant({ kind: 'lose' as const }),
    fc.nat({ max: 600 }).map((back) => ({ kind: 'resume' as const, back })),
  );

  it('for any sequence, acks never pass what is rendered or ackable, only grow between resumes, and end at what is rendered', () => {
    fc.assert(
      fc.property(fc.array(ackStep, { maxLength: 40 }), (steps) => {
        vi.clearAllTimers();
        let rendered = 0;
        let ackable = 0;
        let live = true;
        /** The offset the server counts acks from, and the last ack it got. */
        let floor = 0;
        const acks: number[] = [];
        const throttle = new AckThrottle(
          intervalMs,
          stepBytes,
          () => ackable,
          (offset) => {
            if (!live) return false;
            expect(offset).toBeLessThanOrEqual(rendered);
            expect(offset).toBeLessThanOrEqual(ackable);
            expect(offset).toBeGreaterThan(floor);
            floor = offset;
            acks.push(offset);
            return true;
          },
        );
        for (const step of steps) {
          if (step.kind === 'render') {
            rendered += step.bytes;
            throttle.renderedUpTo(rendered);
          } else if (step.kind === 'wait') vi.advanceTimersByTime(step.ms);
          else if (step.kind === 'ackable') ackable += step.bytes;
          else if (step.kind === 'lose') {
            live = false;
            throttle.stop();
          } else {
            // The server resumes at what the page received: below or above what is rendered.
            live = true;
            floor = Math.max(0, rendered + 200 - step.back);
            throttle.resumedAt(floor);
          }
        }
        // A live socket on which the server has sent everything rendered.
        live = true;
        ackable = Math.max(ackable, rendered);
        floor = Math.min(floor, rendered);
        throttle.resumedAt(floor);
        vi.advanceTimersByTime(intervalMs);
        if (rendered > floor) expect(acks[acks.length - 1]).toBe(rendered);
        vi.advanceTimersByTime(intervalMs * 10);
        throttle.stop();
      }),
    );
  });
});

describe('ANSI stripper', () => {
  function stripAll(chunks: readonly string[]): string {
    const stripper = new AnsiStripper();
    return chunks.map((chunk) => stripper.push(chunk)).join('');
  }

  it('leaves plain text, line feeds and tabs untouched', () => {
    const text = 'total 4\tdrwxr-xr-x\nnaïve café 中文 😀 🇫🇷\n';
    expect(stripAll([text])).toBe(text);
  });

  it('drops CSI sequences: colours, cursor moves, private modes, 8-bit CSI', () => {
    expect(stripAll(['\x1b[1;31mred\x1b[0m plain'])).toBe('red plain');
    expect(stripAll(['\x1b[?25l\x1b[2J\x1b[Hhome\x1b[?1049h'])).toBe('home');
    expect(stripAll(['\x1b[38;2;255;0;0mrgb\x1b[m'])).toBe('rgb');
    expect(stripAll(['\x1b[2 qcursor'])).toBe('cursor'); // intermediate byte
    expect(stripAll(['\x9b31mred\x9b0m'])).toBe('red');
  });

  it('drops OSC strings ended by BEL, by ESC \\ and by 8-bit ST, and DCS/APC strings', () => {
    expect(stripAll(['\x1b]0;user@host: ~\x07$ '])).toBe('$ ');
    expect(stripAll(['\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\'])).toBe('link');
    expect(stripAll(['\x9d0;title\x9cafter'])).toBe('after');
    expect(stripAll(['\x1bPq#0;2;0;0;0#0~~\x1b\\sixel'])).toBe('sixel');
    expect(stripAll(['\x1b_Gf=100;AAAA\x1b\\image'])).toBe('image');
  });

  it('ends malformed sequences where xterm.js does: at a new ESC, at CAN/SUB, with C0 controls still acting', () => {
    expect(stripAll(['\x1b]0;t\x1b[1mvisible\nmore\n'])).toBe('visible\nmore\n');
    expect(stripAll(['\x1b[31\x1b[0mtext'])).toBe('text');
    expect(stripAll(['\x1b\x1b[31mred'])).toBe('red');
    expect(stripAll(['\x1b[1\n2mX'])).toBe('\nX');
    expect(stripAll(['\x1b[12\x18kept', '\x1b]0;x\x1akept too'])).toBe('keptkept too');
  });

  it('drops short ESC sequences, with or without intermediates', () => {
    expect(stripAll(['\x1b(Bcharset\x1b7saved\x1b8\x1b=\x1bMup\x1b#8'])).toBe('charsetsavedup');
  });

  it('turns CR LF into LF, drops a lone CR and the other control characters', () => {
    expect(stripAll(['a\r\nb\r\n'])).toBe('a\nb\n');
    expect(stripAll(['10%\r20%\r100%\n'])).toBe('10%20%100%\n');
    expect(stripAll(['a\r\r\nb'])).toBe('a\nb');
    expect(stripAll(['bell\x07back\x08del\x7fnul\x00'])).toBe('bellbackdelnul');
    expect(stripAll(['\r\x1b[Kline'])).toBe('line');
  });

  it('keeps its state across chunks: sequences and CR LF split anywhere', () => {
    expect(stripAll(['abc\x1b', '[31mdef'])).toBe('abcdef');
    expect(stripAll(['abc\x1b[3', '1', 'mdef'])).toBe('abcdef');
    expect(stripAll(['\x1b]0;ti', 'tle\x07x'])).toBe('x');
    expect(stripAll(['\x1b]0;t\x1b', '\\after'])).toBe('after');
    expect(stripAll(['\x1b(', 'Bx'])).toBe('x');
    expect(stripAll(['line\r', '\nnext'])).toBe('line\nnext');
    expect(stripAll(['progress\r', 'done'])).toBe('progressdone');
  });

  /** A piece of terminal output and the text it leaves in the log. */
  const plain = fc.string({ unit: 'grapheme', maxLength: 10 }).map((text) => text.replace(/[\x00-\x1f\x7f-\x9f]/g, ''));
  const param = fc.string({ unit: fc.constantFrom(...'0123456789;:<=>?'), maxLength: 6 });
  const intermediate = fc.string({ unit: fc.constantFrom(...' !"#$%&\'()*+,-./'), maxLength: 2 });
  const final = fc.integer({ min: 0x40, max: 0x7e }).map((code) => String.fromCharCode(code));
  const stringBody = plain;
  const token: fc.Arbitrary<[raw: string, text: string]> = fc.oneof(
    plain.map((text): [string, string] => [text, text]),
    fc.constantFrom<[string, string]>(['\n', '\n'], ['\t', '\t'], ['\r\n', '\n'], ['\r', ''], ['\x07', ''], ['\x00', '']),
    fc.tuple(fc.constantFrom('\x1b[', '\x9b'), param, intermediate, final).map(([start, p, i, f]): [string, string] => [start + p + i + f, '']),
    fc
      .tuple(fc.constantFrom('\x1b]', '\x1bP', '\x1bX', '\x1b^', '\x1b_', '\x9d', '\x90'), stringBody, fc.constantFrom('\x07', '\x1b\\', '\x9c'))
      .map(([start, body, end]): [string, string] => [start + body + end, '']),
    fc.tuple(intermediate, fc.integer({ min: 0x30, max: 0x7e })).map(([i, code]): [string, string] => {
      const last = String.fromCharCode(code);
      // ESC followed by a string or CSI opener is another token.
      return ['[]PX^_'.includes(last) ? `\x1b${i}0` : `\x1b${i}${last}`, ''];
    }),
  );

  it('for any output and any split into chunks, the log holds exactly its text', () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 10 }), (tokens, cuts) => {
        const raw = tokens.map(([r]) => r).join('');
        const text = tokens.map(([, t]) => t).join('');
        expect(stripAll([raw])).toBe(text);
        expect(stripAll(splitAt(raw, cuts))).toBe(text);
        expect(stripAll([...raw])).toBe(text); // one UTF-16 unit at a time
      }),
    );
  });

  it('for any text without control characters, returns it unchanged whatever the chunking', () => {
    fc.assert(
      fc.property(plain, fc.array(fc.nat(), { maxLength: 6 }), (text, cuts) => {
        expect(stripAll(splitAt(text, cuts))).toBe(text);
      }),
    );
  });
});

describe('reconnect backoff', () => {
  it('retries almost at once first, within the first window', () => {
    expect(new ReconnectBackoff(RESUME_BACKOFF, () => 0).next()).toBe(RESUME_BACKOFF.firstMinMs);
    const high = new ReconnectBackoff(RESUME_BACKOFF, () => 0.999_999).next();
    expect(high).toBeLessThan(RESUME_BACKOFF.firstMaxMs);
    expect(high).toBeGreaterThan(RESUME_BACKOFF.firstMaxMs - 1);
  });

  it('doubles its ceiling on each later attempt, jittered within its upper half, up to the cap', () => {
    const policy = { firstMinMs: 50, firstMaxMs: 250, capMs: 5_000 };
    const low = new ReconnectBackoff(policy, () => 0);
    expect(Array.from({ length: 8 }, () => low.next())).toEqual([50, 250, 500, 1000, 2000, 2500, 2500, 2500]);
    const top = new ReconnectBackoff(policy, () => 1);
    expect(Array.from({ length: 8 }, () => top.next())).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('stays at the cap however many attempts fail', () => {
    const backoff = new ReconnectBackoff(RESUME_BACKOFF, () => 1);
    let last = 0;
    for (let i = 0; i < 2000; i++) last = backoff.next();
    expect(last).toBe(RESUME_BACKOFF.capMs);
  });

  it('reset starts again from a quick retry', () => {
    const backoff = new ReconnectBackoff(RESUME_BACKOFF, () => 0);
    for (let i = 0; i < 5; i++) backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(RESUME_BACKOFF.firstMinMs);
    expect(backoff.next()).toBe(RESUME_BACKOFF.firstMaxMs);
  });

  it('for any jitter, every delay is positive, within its window and never above the cap', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 30 }), (randoms) => {
        let i = 0;
        const backoff = new ReconnectBackoff(RESUME_BACKOFF, () => randoms[i++ % randoms.length]!);
        for (let attempt = 0; attempt < randoms.length; attempt++) {
          const delay = backoff.next();
          const ceiling = attempt === 0 ? RESUME_BACKOFF.firstMaxMs : Math.min(RESUME_BACKOFF.capMs, RESUME_BACKOFF.firstMaxMs * 2 ** attempt);
          const floor = attempt === 0 ? RESUME_BACKOFF.firstMinMs : ceiling / 2;
          expect(delay).toBeGreaterThanOrEqual(floor);
          expect(delay).toBeLessThanOrEqual(ceiling);
        }
      }),
    );
  });
});
