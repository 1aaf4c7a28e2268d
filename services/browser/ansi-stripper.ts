/**
 * Turns terminal output into plain text for the session log: escape
 * sequences (CSI, OSC, DCS and the other string controls, short ESC
 * sequences, their 8-bit C1 forms) and control characters other than line
 * feed and tab are dropped, CR LF becomes LF. It keeps its state between
 * calls, because output arrives in chunks that cut sequences anywhere.
 * Where a sequence is malformed it ends as xterm.js's parser ends it: ESC
 * starts a new sequence wherever it appears, CAN and SUB abort, and C0
 * controls inside a sequence still act (a line feed is still a line feed).
 */
type State = 'text' | 'cr' | 'escape' | 'csi' | 'string' | 'string-escape';

const ESC = 0x1b;
const BEL = 0x07;
const CSI_8BIT = 0x9b;
const ST_8BIT = 0x9c;
const CAN = 0x18;
const SUB = 0x1a;
/** 8-bit DCS, SOS, OSC, PM, APC: strings that run until ST. */
const STRING_STARTS_8BIT = new Set([0x90, 0x98, 0x9d, 0x9e, 0x9f]);
/** After ESC: P (DCS), X (SOS), ] (OSC), ^ (PM), _ (APC) open strings that run until ST. */
const STRING_STARTS = new Set(['P', 'X', ']', '^', '_']);
const PLAIN_RUN = /[^\x00-\x1f\x7f-\x9f]+/y;

export class AnsiStripper {
  private state: State = 'text';

  push(chunk: string): string {
    let out = '';
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'text') {
        PLAIN_RUN.lastIndex = i;
        if (PLAIN_RUN.test(chunk)) {
          out += chunk.slice(i, PLAIN_RUN.lastIndex);
          i = PLAIN_RUN.lastIndex;
          continue;
        }
      }
      out += this.step(chunk.charCodeAt(i), chunk[i]!);
      i++;
    }
    return out;
  }

  private abort(): string {
    this.state = 'text';
    return '';
  }

  /** One character outside a plain run; returns the text it yields. */
  private step(code: number, char: string): string {
    switch (this.state) {
      case 'cr':
        this.state = 'text';
        // A lone CR (a progress line redrawing itself) is dropped.
        return code === 0x0a ? '\n' : this.step(code, char);
      case 'escape':
        if (code === ESC) return '';
        if (code === CAN || code === SUB) return this.abort();
        if (code < 0x20) return executed(char, code);
        if (char === '[') this.state = 'csi';
        else if (STRING_STARTS.has(char)) this.state = 'string';
        // Intermediates (e.g. the `(` of `ESC ( B`) keep the sequence open; anything else ends it.
        else if (code < 0x20 || code > 0x2f) this.state = 'text';
        return '';
      case 'csi':
        if (code === ESC) {
          this.state = 'escape';
          return '';
        }
        if (code === CAN || code === SUB) return this.abort();
        if (code < 0x20) return executed(char, code);
        // Parameters and intermediates (0x20-0x3f) continue; a final byte (or anything else) ends it.
        if (code > 0x3f) this.state = 'text';
        return '';
      case 'string':
        if (code === BEL || code === ST_8BIT || code === CAN || code === SUB) this.state = 'text';
        else if (code === ESC) this.state = 'string-escape';
        return '';
      case 'string-escape':
        // ESC \ is the string terminator; ESC and anything else ends the string and starts a new sequence.
        if (char === '\\') {
          this.state = 'text';
          return '';
        }
        this.state = 'escape';
        return this.step(code, char);
      case 'text':
        if (code === 0x0a || code === 0x09) return char;
        if (code === 0x0d) this.state = 'cr';
        else if (code === ESC) this.state = 'escape';
        else if (code === CSI_8BIT) this.state = 'csi';
        else if (STRING_STARTS_8BIT.has(code)) this.state = 'string';
        else if (!isControl(code)) return char;
        return '';
    }
  }
}

/** What a C0 control met inside a sequence leaves in the text. */
function executed(char: string, code: number): string {
  return code === 0x0a || code === 0x09 ? char : '';
}

function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}
