// Text formats (plain text, Markdown, CSV, JSON, XML, source code...): the text is the content.
// Only the prefix that can fit in the text cap is read, so huge logs never load whole.
import { promises as fs } from 'node:fs';
import { UnsupportedContentError } from '../core/errors.js';
import type { Extractor } from './types.js';

/** Enough input for `maxTextBytes` of UTF-8 output from any encoding (UTF-16 needs 2 bytes/char). */
const inputBytesFor = (maxTextBytes: number) => 2 * maxTextBytes + 16;

export const extractPlainText: Extractor = async (filePath, ctx) => {
  const { bytes, complete } = await readPrefix(filePath, inputBytesFor(ctx.options.maxTextBytes));
  const encoding = encodingOf(bytes, ctx.charset);
  if (!encoding.startsWith('utf-16') && looksBinary(bytes)) {
    throw new UnsupportedContentError(`content declared as ${ctx.mimeType} looks binary (NUL bytes)`);
  }
  return { text: decode(bytes, encoding), truncated: !complete };
};

/** Reads at most `limit` bytes; `complete` is false when the file is longer. */
export async function readPrefix(filePath: string, limit: number): Promise<{ bytes: Buffer; complete: boolean }> {
  const handle = await fs.open(filePath, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, limit);
    const bytes = Buffer.alloc(length);
    let offset = 0;
    while (offset < length) {
      const { bytesRead } = await handle.read(bytes, offset, length - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return { bytes: bytes.subarray(0, offset), complete: size <= limit };
  } finally {
    await handle.close();
  }
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
