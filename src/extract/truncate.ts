// Byte-based truncation of extracted text: stored text is capped in UTF-8 bytes and the cut
// always falls on a character boundary.
import type { ExtractedText } from './types.js';

export function truncate(text: string, maxBytes: number, mimeType: string): ExtractedText {
  // Cheap exit: a UTF-8 character is at most 3 bytes per UTF-16 code unit.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) {
    return { text, truncated: false, mimeType };
  }
  return { text: cutUtf8(text, maxBytes), truncated: true, mimeType };
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`. */
export function cutUtf8(text: string, maxBytes: number): string {
  // Encode only what can matter: each UTF-16 code unit is at least one UTF-8 byte.
  const bytes = Buffer.from(text.slice(0, maxBytes + 1), 'utf8');
  if (bytes.length <= maxBytes) return bytes.toString('utf8');
  // Back up to the lead byte of the character that straddles the cut.
  let end = maxBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * Collects text parts until a byte budget is spent, so extractors that produce text
 * incrementally (PDF pages, e-mail attachments) can stop early instead of building it all.
 */
export class TextBudget {
  private readonly parts: string[] = [];
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  /** True once more than `maxBytes` were offered: callers stop producing text. */
  get full(): boolean {
    return this.bytes > this.maxBytes;
  }

  get remaining(): number {
    return Math.max(0, this.maxBytes - this.bytes);
  }

  add(part: string): void {
    if (this.full) return;
    this.parts.push(part);
    this.bytes += Buffer.byteLength(part, 'utf8');
  }

  /** The collected text; `truncated` when the budget overflowed (the caller cuts it). */
  result(separator = ''): { text: string; truncated: boolean } {
    return { text: this.parts.join(separator), truncated: this.full };
  }
}
