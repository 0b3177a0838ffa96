// Text formats (plain text, Markdown, CSV, JSON, XML, source code...): the text is the content.
// Only the prefix that can fit in the text cap is read, so huge logs never load whole.
import { UnsupportedContentError } from '../core/errors.js';
import { readPrefix } from './input.js';
import type { Extractor } from './types.js';

/**
 * Input for `maxTextBytes` of UTF-8 output: every byte of UTF-8 or a single-byte charset decodes to
 * at least one output byte (4 more: a BOM, a character cut at the end); UTF-16 needs 2 per byte.
 */
const inputBytesFor = (maxTextBytes: number, encoding: string) =>
  encoding.startsWith('utf-16') ? 2 * maxTextBytes + 16 : maxTextBytes + 4;

export const extractPlainText: Extractor = async (filePath, ctx) => {
  const max = ctx.options.maxTextBytes;
  let { bytes, complete } = await readPrefix(filePath, inputBytesFor(max, 'utf-8'), ctx.bytes);
  const encoding = encodingOf(bytes, ctx.charset);
  if (!complete && encoding.startsWith('utf-16'))
    ({ bytes, complete } = await readPrefix(filePath, inputBytesFor(max, encoding), ctx.bytes));
  if (!encoding.startsWith('utf-16') && looksBinary(bytes)) {
    throw new UnsupportedContentError(`content declared as ${ctx.mimeType} looks binary (NUL bytes)`);
  }
  // UTF-8 is cut here, on a character boundary, so valid text decodes to at most `max` bytes and the
  // caller's truncate() has nothing to copy: a 1 GiB log costs one buffer and one string of the cap.
  const input = encoding === 'utf-8' && bytes.length > max ? bytes.subarray(0, utf8Boundary(bytes, max + bomLength(bytes))) : bytes;
  return { text: decode(input, encoding), truncated: !complete || input.length < bytes.length };
};

const bomLength = (bytes: Buffer) => (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0);

/** The largest end ≤ `limit` that does not split a UTF-8 character. */
function utf8Boundary(bytes: Buffer, limit: number): number {
  let end = Math.min(limit, bytes.length);
  while (end > 0 && end < bytes.length && (bytes[end] & 0xc0) === 0x80) end--;
  return end;
}

export function encodingOf(bytes: Buffer, charset: string | undefined): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  const label = charset?.toLowerCase();
  if (!label) return 'utf-8';
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return 'utf-8'; // unknown label: UTF-8 with replacement characters beats failing the doc
  }
}

function looksBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8192).includes(0);
}

/** Decodes (dropping any BOM); a multi-byte character cut at the end of the prefix is dropped. */
export function decode(bytes: Buffer, encoding = 'utf-8'): string {
  const decoder = new TextDecoder(encoding);
  return decoder.decode(bytes, { stream: true });
}
